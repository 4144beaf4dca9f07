// The node reconciler's adopt step: take the trunk found attached to the instance (created here
// or before a restart), report or fix its drift from the target, and advertise it: pod-eni
// capacity and the trunk label on the Node, the node's first events, the trunk published for the
// pod side.
import type { V1Node } from '@kubernetes/client-node';
import {
  LABEL_HAS_TRUNK_ATTACHED,
  MESSAGE_NODE_TRUNK_INITIATED,
  messageControllerVersion,
  messageUnsupported,
  REASON_CONTROLLER_VERSION_NOTICE,
  REASON_NODE_TRUNK_FAILED_INIT,
  REASON_NODE_TRUNK_INITIATED,
  REASON_TRUNK_SECURITY_GROUP_DRIFT,
  REASON_TRUNK_SUBNET_DRIFT,
  REASON_UNSUPPORTED,
  RESOURCE_POD_ENI,
} from '../../apis/constants.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import type { LimitsTable } from '../../domain/instance-limits.js';
import { eventTarget, type EventRecorder } from '../../kube/events.js';
import { Outcome, type ReconcileOutcome } from '../../kube/work-queue.js';
import type { Logger } from '../../observability/logger.js';
import { CONTROLLER_VERSION } from '../../version.js';
import type { ControllerSettings } from '../context.js';
import type { TrunkRegistry } from '../trunk-registry.js';
import type { AttachedInterface, InstanceFacts } from './instance-facts.js';
import { attachmentStep } from './node-decisions.js';
import type { NodeMetrics } from './node-metrics.js';
import { pollDelay, targetKey, type NodeNotes, type NodeRecord } from './node-record.js';
import type { NodeWrites } from './node-writes.js';
import type { SubnetCache } from './subnet-cache.js';
import { setDeleteOnTermination, setTrunkGroups } from './trunk-ec2.js';
import { soon } from './trunk-create-step.js';
import { groupDriftMessage, subnetDriftMessage, trunkDrift, type TrunkTarget } from './trunk-target.js';

export interface TrunkAdoptDeps {
  settings: Pick<ControllerSettings, 'fixTrunkSecurityGroups'>;
  ec2: Ec2Api;
  limits: Pick<LimitsTable, 'get'>;
  subnets: Pick<SubnetCache, 'get'>;
  writes: Pick<NodeWrites, 'patchNodeStatus' | 'patchNode'>;
  events: Pick<EventRecorder, 'normal'>;
  trunks: Pick<TrunkRegistry, 'publish'>;
  metrics: Pick<NodeMetrics, 'drift' | 'driftFixed' | 'trunkInit'>;
  notes: NodeNotes;
  now: () => number;
  attachPollMs: number;
}

export interface AdoptRequest {
  node: V1Node;
  rec: NodeRecord;
  facts: InstanceFacts;
  trunk: AttachedInterface;
  target: TrunkTarget;
  log: Logger;
}

export async function adoptTrunkStep(d: TrunkAdoptDeps, { node, rec, facts, trunk, target, log }: AdoptRequest): Promise<ReconcileOutcome> {
  const name = node.metadata?.name ?? '';
  rec.pendingCreate = undefined;
  const step = attachmentStep(trunk.attachmentStatus);
  if (step === 'poll') {
    d.notes.setState(name, rec, 'initializing');
    return soon(pollDelay(d.attachPollMs, rec.attachPolls++));
  }
  rec.attachPolls = 0;
  if (step === 'wait-detach') {
    d.notes.setState(name, rec, 'initializing');
    log.info({ eniId: trunk.eniId, status: trunk.attachmentStatus }, 'trunk is being detached; waiting');
    return Outcome.requeueAfter(2_000);
  }
  if (!trunk.deleteOnTermination) await setDeleteOnTermination(d.ec2, trunk.eniId, trunk.attachmentId);

  const limits = d.limits.get(facts.instanceType);
  if (!limits?.trunkSupported) {
    d.notes.setState(name, rec, 'unsupported');
    d.notes.warnOnce(node, rec, REASON_UNSUPPORTED, messageUnsupported(facts.instanceType));
    return Outcome.done();
  }

  const groups = await handleDrift(d, node, rec, trunk, target, log);
  const subnet = await d.subnets.get(trunk.subnetId);
  const created = rec.state !== 'ready';
  rec.trunk = {
    nodeName: name,
    instanceId: rec.instanceId,
    trunkEniId: trunk.eniId,
    subnetId: trunk.subnetId,
    subnetCidr: subnet.cidr,
    ...(subnet.v6Cidr ? { subnetV6Cidr: subnet.v6Cidr } : {}),
    defaultSecurityGroups: [...groups],
    branchLimit: limits.branchLimit,
    targetKey: targetKey(target),
    instanceSubnetId: facts.subnetId,
    primaryGroups: [...facts.primaryGroups],
  };
  const outcome = await advertise(d, node, rec, log);
  if (created) {
    d.metrics.trunkInit((d.now() - rec.since) / 1000, rec.createdHere ? 'created' : 'reused');
  }
  return outcome;
}

/** Warn about a trunk's subnet or group drift (once per message), fix groups if allowed; the trunk's groups after. */
async function handleDrift(d: TrunkAdoptDeps, node: V1Node, rec: NodeRecord, trunk: AttachedInterface, target: TrunkTarget, log: Logger): Promise<string[]> {
  const name = node.metadata?.name ?? '';
  let groups = trunk.groups;
  const drift = trunkDrift(trunk, target);
  d.metrics.drift('subnet', name, drift.subnet !== undefined);
  if (drift.subnet) d.notes.warnOnce(node, rec, REASON_TRUNK_SUBNET_DRIFT, subnetDriftMessage(trunk.eniId, drift.subnet, target.eniConfig));
  else rec.warned.delete(REASON_TRUNK_SUBNET_DRIFT);
  const fixing = d.settings.fixTrunkSecurityGroups;
  if (drift.groups) {
    d.notes.warnOnce(node, rec, REASON_TRUNK_SECURITY_GROUP_DRIFT, groupDriftMessage(trunk.eniId, drift.groups, target.eniConfig, fixing));
    if (fixing) {
      await setTrunkGroups(d.ec2, trunk.eniId, target.groups);
      d.metrics.driftFixed();
      log.info({ eniId: trunk.eniId, groups: target.groups }, 'trunk security groups updated in place');
      groups = [...target.groups];
    }
  }
  const stillDrifting = drift.groups !== undefined && !fixing;
  d.metrics.drift('groups', name, stillDrifting);
  if (!stillDrifting) rec.warned.delete(REASON_TRUNK_SECURITY_GROUP_DRIFT);
  return [...groups];
}

/** Capacity and label on the Node, events once, and the trunk published for the pod side. */
export async function advertise(d: Pick<TrunkAdoptDeps, 'writes' | 'events' | 'trunks' | 'notes'>, node: V1Node, rec: NodeRecord, log: Logger): Promise<ReconcileOutcome> {
  const t = rec.trunk;
  if (!t) return Outcome.done();
  const name = t.nodeName;
  const want = String(t.branchLimit);
  const capacity = (node.status?.capacity ?? {}) as Record<string, string>;
  if (capacity[RESOURCE_POD_ENI] !== want) {
    await d.writes.patchNodeStatus(name, { status: { capacity: { [RESOURCE_POD_ENI]: want } } });
    log.info({ capacity: want }, 'pod-eni capacity advertised');
  }
  if (node.metadata?.labels?.[LABEL_HAS_TRUNK_ATTACHED] !== 'true') {
    await d.writes.patchNode(name, { metadata: { labels: { [LABEL_HAS_TRUNK_ATTACHED]: 'true' } } });
  }
  if (rec.state !== 'ready') rec.warned.delete(REASON_NODE_TRUNK_FAILED_INIT);
  d.notes.setState(name, rec, 'ready');
  if (!rec.announced) {
    rec.announced = true;
    const target = eventTarget('Node', node);
    d.events.normal(target, REASON_CONTROLLER_VERSION_NOTICE, messageControllerVersion(CONTROLLER_VERSION));
    d.events.normal(target, REASON_NODE_TRUNK_INITIATED, MESSAGE_NODE_TRUNK_INITIATED);
  }
  const { targetKey: _k, instanceSubnetId: _s, primaryGroups: _p, ...info } = t;
  d.trunks.publish(info);
  return Outcome.done();
}
