// The node reconciler's create step: place the trunk (or refuse the node with a Warning saying
// why), check the subnet's zone, then create and attach it. A half-made trunk is left in the
// record for the next reconcile to remove, with a fresh ClientToken for the next try.
import type { V1Node } from '@kubernetes/client-node';
import { REASON_INSUFFICIENT_INTERFACE_SLOTS, REASON_NODE_TRUNK_FAILED_INIT, REASON_UNSUPPORTED } from '../../apis/constants.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import { toEc2Error } from '../../aws/error-classes.js';
import type { EniConfigResolution } from '../../domain/eniconfig-resolution.js';
import type { LimitsTable } from '../../domain/instance-limits.js';
import { planTrunkPlacement } from '../../domain/trunk-placement.js';
import type { SupervisedInformer } from '../../kube/informer.js';
import { Outcome, type ReconcileOutcome } from '../../kube/work-queue.js';
import type { Logger } from '../../observability/logger.js';
import type { ControllerSettings } from '../context.js';
import { outcomeOf } from '../error-map.js';
import { explainEc2Failure } from '../failure-causes.js';
import type { CNINodeObject } from '../informers.js';
import { usedDeviceIndexes, type InstanceFacts } from './instance-facts.js';
import { refusalHandling, zoneMismatchMessage } from './node-decisions.js';
import type { NodeNotes, NodeRecord } from './node-record.js';
import type { SubnetCache } from './subnet-cache.js';
import { createAndAttachTrunk, TrunkCreationError } from './trunk-ec2.js';
import type { TrunkTarget } from './trunk-target.js';

export interface TrunkCreateDeps {
  settings: Pick<ControllerSettings, 'clusterName'>;
  ec2: Ec2Api;
  limits: Pick<LimitsTable, 'get'>;
  cniNodes: Pick<SupervisedInformer<CNINodeObject>, 'get'>;
  subnets: Pick<SubnetCache, 'get'>;
  notes: NodeNotes;
  now: () => number;
  attachPollMs: number;
  slotRecheckMs: number;
}

export interface CreateRequest {
  node: V1Node;
  rec: NodeRecord;
  facts: InstanceFacts;
  target: TrunkTarget;
  resolution: EniConfigResolution;
  log: Logger;
}

export async function createTrunkStep(d: TrunkCreateDeps, { node, rec, facts, target, resolution, log }: CreateRequest): Promise<ReconcileOutcome> {
  const name = node.metadata?.name ?? '';
  const limits = d.limits.get(facts.instanceType);
  const placement = planTrunkPlacement({
    instanceType: facts.instanceType,
    limits,
    attachedDeviceIndexes: usedDeviceIndexes(facts, limits?.defaultNetworkCardIndex ?? 0),
    customNetworking: resolution.state === 'resolved',
  });
  if (!placement.ok) {
    const refusal = refusalHandling(placement.code, d.slotRecheckMs);
    d.notes.setState(name, rec, refusal.state);
    d.notes.warnOnce(node, rec, refusal.reason, placement.reason);
    log.info({ code: placement.code }, 'no trunk for this node');
    return refusal.recheckMs !== undefined ? Outcome.requeueAfter(refusal.recheckMs) : Outcome.done();
  }
  rec.warned.delete(REASON_UNSUPPORTED);
  rec.warned.delete(REASON_INSUFFICIENT_INTERFACE_SLOTS);
  d.notes.setState(name, rec, 'initializing');

  const subnet = await d.subnets.get(target.subnetId);
  if (subnet.availabilityZone !== facts.availabilityZone) {
    d.notes.setState(name, rec, 'failed');
    d.notes.warnOnce(node, rec, REASON_NODE_TRUNK_FAILED_INIT, zoneMismatchMessage(subnet, target.eniConfig, facts.availabilityZone));
    return Outcome.done();
  }
  try {
    const created = await createAndAttachTrunk(
      d.ec2,
      {
        clusterName: d.settings.clusterName,
        instanceId: rec.instanceId,
        subnetId: target.subnetId,
        groups: target.groups,
        deviceIndex: placement.deviceIndex,
        networkCardIndex: limits?.defaultNetworkCardIndex ?? 0,
        generation: rec.generation,
        extraTags: d.cniNodes.get(name)?.spec?.tags ?? {},
      },
      log,
    );
    log.info({ eniId: created.eniId, deviceIndex: placement.deviceIndex, subnetId: target.subnetId, groups: target.groups }, 'trunk created and attached');
    rec.pendingCreate = { eniId: created.eniId, at: d.now(), polls: 0 };
    rec.createdHere = true;
    return soon(d.attachPollMs);
  } catch (err) {
    const cause = err instanceof TrunkCreationError ? err.cause : err;
    if (err instanceof TrunkCreationError && err.step !== 'create') {
      rec.generation++;
      if (err.leftover) rec.rollback = err.leftover;
    }
    const e = toEc2Error(err instanceof TrunkCreationError ? stepAction(err.step) : 'CreateNetworkInterface', cause);
    d.notes.setState(name, rec, 'failed');
    d.notes.warnOnce(node, rec, REASON_NODE_TRUNK_FAILED_INIT, `Failed to create the trunk interface: ${explainEc2Failure(e).message}`);
    log.warn({ err: e.message, class: e.class }, 'trunk creation failed');
    return outcomeOf(e);
  }
}

/**
 * Look at a node again soon, ahead of nodes not started yet (the node queue's high lane): a trunk
 * being attached is advertised as soon as it is, not after every other node's creation when
 * hundreds join at once.
 */
export function soon(delayMs: number): ReconcileOutcome {
  return Outcome.requeueAfter(delayMs, 'high');
}

function stepAction(step: TrunkCreationError['step']): string {
  return step === 'create' ? 'CreateNetworkInterface' : step === 'attach' ? 'AttachNetworkInterface' : 'ModifyNetworkInterfaceAttribute';
}
