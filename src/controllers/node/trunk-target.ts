// Where a node's trunk must be and with which groups, and how an existing trunk differs from
// that (contract §5). Pure.
//
// With a resolved ENIConfig: its subnet, its groups (the primary ENI's groups when it lists none).
// Without custom networking: the instance's own subnet and the primary ENI's groups.
import type { EniConfigResolution } from '../../domain/eniconfig-resolution.js';
import type { InstanceFacts } from './instance-facts.js';

export interface TrunkTarget {
  subnetId: string;
  groups: string[];
  /** The ENIConfig the target comes from, if any. */
  eniConfig?: string;
}

/** Only for resolutions that allow a trunk ('resolved' or 'not-needed'). */
export function trunkTarget(resolution: Extract<EniConfigResolution, { state: 'resolved' | 'not-needed' }>, facts: Pick<InstanceFacts, 'subnetId' | 'primaryGroups'>): TrunkTarget {
  if (resolution.state === 'resolved') {
    return {
      subnetId: resolution.subnet,
      groups: resolution.securityGroups.length > 0 ? [...resolution.securityGroups] : [...facts.primaryGroups],
      eniConfig: resolution.name,
    };
  }
  return { subnetId: facts.subnetId, groups: [...facts.primaryGroups] };
}

export interface TrunkDrift {
  /** The trunk's subnet differs: cannot be fixed in place, the node must be replaced. */
  subnet?: { actual: string; wanted: string };
  /** The trunk's groups differ from the wanted set (order ignored). */
  groups?: { actual: string[]; wanted: string[] };
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
};

export function trunkDrift(trunk: { subnetId: string; groups: readonly string[] }, target: TrunkTarget): TrunkDrift {
  const drift: TrunkDrift = {};
  if (trunk.subnetId !== target.subnetId) drift.subnet = { actual: trunk.subnetId, wanted: target.subnetId };
  if (!sameSet(trunk.groups, target.groups)) drift.groups = { actual: [...trunk.groups], wanted: [...target.groups] };
  return drift;
}

export function subnetDriftMessage(trunkEniId: string, d: NonNullable<TrunkDrift['subnet']>, eniConfig: string | undefined): string {
  return (
    `Trunk ENI ${trunkEniId} is in subnet ${d.actual} but ${eniConfig ? `ENIConfig ${eniConfig} now names` : 'the node now needs'} subnet ${d.wanted}; ` +
    `a trunk's subnet cannot change, so pods on this node keep using ${d.actual}: replace the node (cordon, drain, terminate) to move it`
  );
}

export function groupDriftMessage(trunkEniId: string, d: NonNullable<TrunkDrift['groups']>, eniConfig: string | undefined, fixing: boolean): string {
  const base = `Trunk ENI ${trunkEniId} has security groups [${d.actual.join(' ')}] but ${eniConfig ? `ENIConfig ${eniConfig} now lists` : 'the node now needs'} [${d.wanted.join(' ')}]`;
  return fixing
    ? `${base}; updating the trunk's groups in place (--fix-trunk-security-groups)`
    : `${base}; run the controller with --fix-trunk-security-groups to update them in place, or replace the node`;
}
