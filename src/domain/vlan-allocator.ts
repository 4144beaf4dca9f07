// VLAN IDs of one trunk ENI. Each branch ENI is associated with its trunk on a VLAN unique on
// that trunk; the CNI builds the pod's VLAN device from it. A VLAN handed out again while the
// node still tears down the old device breaks the new pod, so: never-used VLANs first
// (ascending), then freed ones in the order they were freed (least recently freed first), and
// a VLAN is freed only when the caller knows its ENI is gone from EC2.
import { MAX_VLAN_ID, MIN_VLAN_ID } from '../apis/constants.js';

const NEVER_USED = 0;
const USED = 1;
const FREED = 2;

export class VlanAllocator {
  readonly capacity: number;
  readonly maxVlanId: number;
  private readonly state: Uint8Array;
  /** Freed VLANs, oldest free first. */
  private freedQueue: number[] = [];
  private usedCount = 0;

  /**
   * @param capacity how many VLANs may be held at once: the instance type's branch limit,
   *   counting ENIs still cooling down (they keep their VLAN until deleted).
   * @param maxVlanId highest VLAN ID (contract: 120). IDs run from 1, so with a capacity below
   *   the maximum, freed VLANs rest longer before reuse.
   */
  constructor(capacity: number, maxVlanId: number = MAX_VLAN_ID) {
    if (!Number.isInteger(maxVlanId) || maxVlanId < MIN_VLAN_ID || maxVlanId > MAX_VLAN_ID) {
      throw new RangeError(`maxVlanId must be an integer from ${MIN_VLAN_ID} to ${MAX_VLAN_ID} (got ${maxVlanId})`);
    }
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > maxVlanId) {
      throw new RangeError(`VLAN capacity must be an integer from 0 to ${maxVlanId} (got ${capacity})`);
    }
    this.capacity = capacity;
    this.maxVlanId = maxVlanId;
    this.state = new Uint8Array(maxVlanId + 1);
  }

  /** VLANs held (in use or waiting for their ENI to be deleted). */
  get inUse(): number {
    return this.usedCount;
  }

  /** How many more VLANs can be allocated now. */
  get available(): number {
    return Math.max(0, this.capacity - this.usedCount);
  }

  isUsed(vlanId: number): boolean {
    return this.inRange(vlanId) && this.state[vlanId] === USED;
  }

  /** Held VLAN IDs, ascending. */
  used(): number[] {
    const out: number[] = [];
    for (let v = MIN_VLAN_ID; v <= this.maxVlanId; v++) if (this.state[v] === USED) out.push(v);
    return out;
  }

  /** The next VLAN, now marked used; undefined when the trunk is at capacity. */
  allocate(): number | undefined {
    if (this.usedCount >= this.capacity) return undefined;
    let vlan: number | undefined;
    for (let v = MIN_VLAN_ID; v <= this.maxVlanId; v++) {
      if (this.state[v] === NEVER_USED) {
        vlan = v;
        break;
      }
    }
    vlan ??= this.freedQueue.shift();
    if (vlan === undefined) return undefined;
    this.state[vlan] = USED;
    this.usedCount++;
    return vlan;
  }

  /**
   * Record a VLAN found in use (EC2 tags or pod annotations after a restart), even beyond the
   * capacity, so it is never handed out. Returns false when it was already marked.
   */
  markUsed(vlanId: number): boolean {
    this.assertInRange(vlanId);
    if (this.state[vlanId] === USED) return false;
    if (this.state[vlanId] === FREED) this.freedQueue = this.freedQueue.filter((v) => v !== vlanId);
    this.state[vlanId] = USED;
    this.usedCount++;
    return true;
  }

  /**
   * Give a VLAN back. Call only once its branch ENI is gone from EC2 (deleted, or NotFound).
   * Returns false when it was not held, so a double free cannot release a VLAN twice.
   */
  free(vlanId: number): boolean {
    this.assertInRange(vlanId);
    if (this.state[vlanId] !== USED) return false;
    this.state[vlanId] = FREED;
    this.freedQueue.push(vlanId);
    this.usedCount--;
    return true;
  }

  private inRange(vlanId: number): boolean {
    return Number.isInteger(vlanId) && vlanId >= MIN_VLAN_ID && vlanId <= this.maxVlanId;
  }

  private assertInRange(vlanId: number): void {
    if (!this.inRange(vlanId)) {
      throw new RangeError(`VLAN ID must be an integer from ${MIN_VLAN_ID} to ${this.maxVlanId} (got ${vlanId})`);
    }
  }
}
