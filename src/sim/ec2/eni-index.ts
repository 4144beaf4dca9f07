// Secondary indexes over ENIs, so filtered describes on large worlds touch only candidates:
// by subnet (in creation order), by attached instance, by attachment ID, by tag and by tag key.

function add<K>(index: Map<K, Set<string>>, key: K, id: string): void {
  let s = index.get(key);
  if (!s) {
    s = new Set();
    index.set(key, s);
  }
  s.add(id);
}

function remove<K>(index: Map<K, Set<string>>, key: K, id: string): void {
  const s = index.get(key);
  if (!s) return;
  s.delete(id);
  if (s.size === 0) index.delete(key);
}

const tagKey = (key: string, value: string): string => `${key}\u0000${value}`;

export class EniIndex {
  private readonly bySubnet = new Map<string, Set<string>>();
  private readonly byInstance = new Map<string, Set<string>>();
  private readonly byTag = new Map<string, Set<string>>();
  private readonly byTagKey = new Map<string, Set<string>>();
  private readonly byAttachment = new Map<string, string>();

  created(eniId: string, subnetId: string): void {
    add(this.bySubnet, subnetId, eniId);
  }

  deleted(eniId: string, subnetId: string): void {
    remove(this.bySubnet, subnetId, eniId);
  }

  attached(eniId: string, instanceId: string, attachmentId: string): void {
    add(this.byInstance, instanceId, eniId);
    this.byAttachment.set(attachmentId, eniId);
  }

  detached(eniId: string, instanceId: string, attachmentId: string): void {
    remove(this.byInstance, instanceId, eniId);
    this.byAttachment.delete(attachmentId);
  }

  tagged(eniId: string, key: string, value: string): void {
    add(this.byTag, tagKey(key, value), eniId);
    add(this.byTagKey, key, eniId);
  }

  untagged(eniId: string, key: string, value: string): void {
    remove(this.byTag, tagKey(key, value), eniId);
    remove(this.byTagKey, key, eniId);
  }

  /** ENI IDs in a subnet, in creation order. */
  inSubnet(subnetId: string): ReadonlySet<string> | undefined {
    return this.bySubnet.get(subnetId);
  }

  attachedTo(instanceId: string): ReadonlySet<string> | undefined {
    return this.byInstance.get(instanceId);
  }

  withTag(key: string, value: string): ReadonlySet<string> | undefined {
    return this.byTag.get(tagKey(key, value));
  }

  withTagKey(key: string): ReadonlySet<string> | undefined {
    return this.byTagKey.get(key);
  }

  eniOfAttachment(attachmentId: string): string | undefined {
    return this.byAttachment.get(attachmentId);
  }
}
