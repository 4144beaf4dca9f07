// The trunk ↔ branch associations and the VLANs they hold per trunk. Only bookkeeping: the rules
// (who may associate, limits) live in the world.
import type { TrunkAssociation } from './world-types.js';

export class TrunkAssociations {
  private readonly byId = new Map<string, TrunkAssociation>();
  private readonly byTrunk = new Map<string, Map<number, string>>(); // trunk → VLAN → association
  private seq = 0;

  add(associationId: string, trunkInterfaceId: string, branchInterfaceId: string, vlanId: number): TrunkAssociation {
    const assoc: TrunkAssociation = {
      associationId,
      seq: ++this.seq,
      trunkInterfaceId,
      branchInterfaceId,
      vlanId,
      interfaceProtocol: 'VLAN',
      tags: new Map(),
    };
    this.byId.set(associationId, assoc);
    let vlans = this.byTrunk.get(trunkInterfaceId);
    if (!vlans) {
      vlans = new Map();
      this.byTrunk.set(trunkInterfaceId, vlans);
    }
    vlans.set(vlanId, associationId);
    return assoc;
  }

  remove(assoc: TrunkAssociation): void {
    this.byId.delete(assoc.associationId);
    const vlans = this.byTrunk.get(assoc.trunkInterfaceId);
    vlans?.delete(assoc.vlanId);
    if (vlans && vlans.size === 0) this.byTrunk.delete(assoc.trunkInterfaceId);
  }

  get(associationId: string): TrunkAssociation | undefined {
    return this.byId.get(associationId);
  }

  /** VLAN → association ID on one trunk. */
  vlansOf(trunkInterfaceId: string): ReadonlyMap<number, string> | undefined {
    return this.byTrunk.get(trunkInterfaceId);
  }

  /** All associations in creation order. */
  values(): IterableIterator<TrunkAssociation> {
    return this.byId.values();
  }

  /** VLAN IDs in use per trunk, ascending. */
  vlansByTrunk(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const [trunk, vlans] of this.byTrunk) out.set(trunk, [...vlans.keys()].sort((a, b) => a - b));
    return out;
  }
}
