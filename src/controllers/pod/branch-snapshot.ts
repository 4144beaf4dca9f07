// One look at every branch ENI of the cluster, taken once when the pod side starts: paged,
// tag-filtered DescribeNetworkInterfaces (1,000 a page) and paged DescribeTrunkInterfaceAssociations
// (255 a page). A restart then costs O(branch ENIs / page) describes instead of two per trunk (at
// 1,000 nodes, ~50 calls instead of ~2,000), and each node's state is rebuilt from the snapshot
// when its trunk is published.
//
// Why one snapshot is enough: branch ENIs on a trunk are only created by this controller, and only
// after that trunk's state was rebuilt; the snapshot is taken before any allocation. So a trunk
// absent from the snapshot has no branch ENIs (a trunk created after the snapshot, in particular,
// needs no rebuild at all). A trunk seen a second time in this process (node removed and back) is
// rebuilt with its own describes (rebuild.ts), since its entry was used up the first time.
//
// Only the fields the rebuild reads are kept (tens of thousands of SDK objects would cost more
// memory than the rest of the pod side).
import type { NetworkInterface } from '@aws-sdk/client-ec2';
import {
  TAG_POD_NAME,
  TAG_POD_NAMESPACE,
  TAG_POD_UID,
  TAG_TRUNK_ENI_ID,
  TAG_VLAN_ID,
} from '../../apis/constants.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import { TAG_COOLING_SINCE } from './cooling-tagger.js';
import { describeClusterBranches, type ClusterBranches } from './branch-eni-ops.js';

/** What the rebuild needs of a branch ENI. */
export interface BranchEniFacts {
  eniId: string;
  macAddress?: string;
  privateIp?: string;
  trunkEniId?: string;
  /** The VLAN tag as written (validated by the rebuild). */
  vlanTag?: string;
  podUid?: string;
  podNamespace?: string;
  podName?: string;
  /** The ENI's security groups (a warm ENI is only reused for exactly these). */
  groups?: string[];
  /** The cooling-since tag (cooling-tagger.ts), as written. */
  coolingSince?: string;
}

/** What the rebuild needs of a trunk association. */
export interface AssociationFacts {
  associationId?: string;
  branchEniId: string;
  vlanId?: number;
}

export interface TrunkBranches {
  enis: BranchEniFacts[];
  /** By branch ENI ID. */
  associations: Map<string, AssociationFacts>;
}

export function branchEniFacts(eni: NetworkInterface): BranchEniFacts | undefined {
  if (!eni.NetworkInterfaceId) return undefined;
  const out: BranchEniFacts = { eniId: eni.NetworkInterfaceId };
  if (eni.MacAddress) out.macAddress = eni.MacAddress;
  if (eni.PrivateIpAddress) out.privateIp = eni.PrivateIpAddress;
  if (eni.Groups) out.groups = eni.Groups.map((g) => g.GroupId ?? '').filter((g) => g !== '');
  for (const t of eni.TagSet ?? []) {
    if (t.Value === undefined) continue;
    if (t.Key === TAG_TRUNK_ENI_ID) out.trunkEniId = t.Value;
    else if (t.Key === TAG_VLAN_ID) out.vlanTag = t.Value;
    else if (t.Key === TAG_POD_UID) out.podUid = t.Value;
    else if (t.Key === TAG_POD_NAMESPACE) out.podNamespace = t.Value;
    else if (t.Key === TAG_POD_NAME) out.podName = t.Value;
    else if (t.Key === TAG_COOLING_SINCE) out.coolingSince = t.Value;
  }
  return out;
}

export class BranchSnapshot {
  private constructor(
    private readonly byTrunk: Map<string, TrunkBranches>,
    readonly eniCount: number,
  ) {}

  /** Describes every branch ENI this controller owns in the cluster, and their associations. */
  static async load(ec2: Ec2Api, clusterName: string, describe: () => Promise<ClusterBranches> = () => describeClusterBranches(ec2, clusterName)): Promise<BranchSnapshot> {
    const { enis, associations: assocs } = await describe();
    const byTrunk = new Map<string, TrunkBranches>();
    const trunkOfBranch = new Map<string, string>();
    let count = 0;
    for (const raw of enis) {
      const f = branchEniFacts(raw);
      if (!f?.trunkEniId) continue;
      let t = byTrunk.get(f.trunkEniId);
      if (!t) byTrunk.set(f.trunkEniId, (t = { enis: [], associations: new Map() }));
      t.enis.push(f);
      trunkOfBranch.set(f.eniId, f.trunkEniId);
      count++;
    }
    for (const a of assocs) {
      const branch = a.BranchInterfaceId;
      if (!branch) continue;
      // As the per-trunk describe filters them: the association must be with the trunk the ENI is tagged with.
      const trunkId = trunkOfBranch.get(branch);
      const t = trunkId && a.TrunkInterfaceId === trunkId ? byTrunk.get(trunkId) : undefined;
      if (!t) continue; // another cluster's, not one of ours, or on another trunk
      t.associations.set(branch, {
        branchEniId: branch,
        ...(a.AssociationId ? { associationId: a.AssociationId } : {}),
        ...(a.VlanId !== undefined ? { vlanId: a.VlanId } : {}),
      });
    }
    return new BranchSnapshot(byTrunk, count);
  }

  /** The branch ENIs of a trunk, once: a second call for the same trunk gets undefined. */
  take(trunkEniId: string): TrunkBranches | undefined {
    const t = this.byTrunk.get(trunkEniId);
    this.byTrunk.delete(trunkEniId);
    return t;
  }

  /** Trunks whose branch ENIs were not taken yet (their node has not been published). */
  untakenTrunks(): number {
    return this.byTrunk.size;
  }
}

/**
 * Where a trunk's branch ENIs come from for its rebuild: the start-up snapshot the first time this
 * process sees the trunk (loaded once, on first use, which is after the pod cache synced), its own
 * describes when it is seen again.
 */
export class TrunkBranchSource {
  private snapshot: Promise<BranchSnapshot> | undefined;
  private readonly seen = new Set<string>();

  constructor(
    private readonly ec2: Ec2Api,
    private readonly clusterName: string,
    private readonly describeOne: (trunkEniId: string) => Promise<TrunkBranches>,
    private readonly onLoaded: (s: BranchSnapshot, ms: number) => void = () => {},
    /** The cluster-wide describe (shared with the repair pass by the pod side); default its own. */
    private readonly describeAll?: () => Promise<ClusterBranches>,
  ) {}

  async branchesOf(trunkEniId: string): Promise<TrunkBranches> {
    if (this.seen.has(trunkEniId)) return this.describeOne(trunkEniId);
    const snapshot = await this.load();
    // Marked only now: had the snapshot failed, the next try would still use it.
    if (this.seen.has(trunkEniId)) return this.describeOne(trunkEniId);
    this.seen.add(trunkEniId);
    return snapshot.take(trunkEniId) ?? { enis: [], associations: new Map() };
  }

  private load(): Promise<BranchSnapshot> {
    if (!this.snapshot) {
      const started = Date.now();
      const p = BranchSnapshot.load(this.ec2, this.clusterName, this.describeAll);
      this.snapshot = p;
      p.then(
        (s) => this.onLoaded(s, Date.now() - started),
        () => {
          // A failed snapshot is taken again by the next rebuild.
          if (this.snapshot === p) this.snapshot = undefined;
        },
      );
    }
    return this.snapshot;
  }
}
