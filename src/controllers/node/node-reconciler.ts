// The node reconciler (key = node name): CNINode (cninode-ensurer.ts) → eligibility → ENIConfig settled → instance
// facts from EC2 → reuse or create the trunk → advertise capacity and label → publish the trunk
// for the pod side. Every step reads current state (caches, EC2) and does only what is missing,
// so running it again is harmless; what must survive a restart lives in EC2 (the attached trunk,
// its tags) and the Node (capacity, label), never only here.
import type { V1Node } from '@kubernetes/client-node';
import type { Ec2Api } from '../../aws/ec2-api.js';
import { isNotFound as isEc2NotFound, toEc2Error } from '../../aws/error-classes.js';
import { cniNodeFeatures } from '../../apis/cninode.js';
import {
  LABEL_HAS_TRUNK_ATTACHED,
  MESSAGE_NODE_TRUNK_INITIATED,
  messageControllerVersion,
  messageUnsupported,
  REASON_CONTROLLER_VERSION_NOTICE,
  REASON_ENICONFIG_NOT_SETTLED,
  REASON_INSUFFICIENT_INTERFACE_SLOTS,
  REASON_NODE_TRUNK_FAILED_INIT,
  REASON_NODE_TRUNK_INITIATED,
  REASON_TRUNK_SECURITY_GROUP_DRIFT,
  REASON_TRUNK_SUBNET_DRIFT,
  REASON_UNSUPPORTED,
  RESOURCE_POD_ENI,
} from '../../apis/constants.js';
import { nodeFacts } from '../../apis/kube-facts.js';
import { resolveEniConfig, type EniConfigResolution } from '../../domain/eniconfig-resolution.js';
import type { LimitsTable } from '../../domain/instance-limits.js';
import { nodeEligibility } from '../../domain/node-eligibility.js';
import { planTrunkPlacement } from '../../domain/trunk-placement.js';
import { eventTarget, type EventRecorder } from '../../kube/events.js';
import type { SupervisedInformer } from '../../kube/informer.js';
import { Outcome, type ReconcileContext, type ReconcileOutcome } from '../../kube/work-queue.js';
import type { Logger } from '../../observability/logger.js';
import { CONTROLLER_VERSION } from '../../version.js';
import type { ControllerSettings } from '../context.js';
import { explainEc2Failure } from '../failure-causes.js';
import { outcomeOf } from '../error-map.js';
import type { CNINodeObject, ENIConfigObject } from '../informers.js';
import type { TrunkInfo, TrunkRegistry } from '../trunk-registry.js';
import { CniNodeEnsurer, type CniNodeCarryOver } from '../cninode/cninode-ensurer.js';
import { InstanceDescriber } from './instance-describer.js';
import { findTrunk, usedDeviceIndexes, type AttachedInterface, type InstanceFacts } from './instance-facts.js';
import type { NodeMetrics, NodeState } from './node-metrics.js';
import type { NodeWrites } from './node-writes.js';
import { SubnetCache } from './subnet-cache.js';
import { createAndAttachTrunk, finishRollback, setDeleteOnTermination, setTrunkGroups, TrunkCreationError } from './trunk-ec2.js';
import { groupDriftMessage, subnetDriftMessage, trunkDrift, trunkTarget, type TrunkTarget } from './trunk-target.js';

export interface NodeReconcilerDeps {
  settings: ControllerSettings;
  /** Writes to the API server (kubeNodeWrites in production). */
  writes: NodeWrites;
  ec2: Ec2Api;
  events: Pick<EventRecorder, 'normal' | 'warning'>;
  limits: Pick<LimitsTable, 'get'>;
  trunks: Pick<TrunkRegistry, 'publish' | 'remove'>;
  nodes: Pick<SupervisedInformer<V1Node>, 'get'>;
  cniNodes: Pick<SupervisedInformer<CNINodeObject>, 'get'>;
  eniConfigs: Pick<SupervisedInformer<ENIConfigObject>, 'get'>;
  metrics: NodeMetrics;
  logger: Logger;
  /** Shared with the CNINode cleanup: what a CNINode deleted by hand carried into its re-creation. */
  cniNodeCarryOver?: CniNodeCarryOver;
  /** First look at a new attachment after this long; doubles per look up to 8×. Default 1 s
   *  (EC2 attaches in about that time; sooner only spends DescribeInstances calls). */
  attachPollMs?: number;
  /** A node stuck without a free interface slot is looked at again after this long. Default 60 s. */
  slotRecheckMs?: number;
  now?: () => number;
}

/** What the reconciler remembers about a node between runs (rebuilt from EC2 after a restart). */
interface NodeRecord {
  instanceId: string;
  /** When the node was first seen eligible with a settled ENIConfig (for the init-duration metric). */
  since: number;
  state: NodeState;
  /** The trunk as last seen attached, and the target it was checked against. */
  trunk?: TrunkInfo & { targetKey: string; instanceSubnetId: string; primaryGroups: string[] };
  /** This process created the node's trunk (metric label). */
  createdHere?: boolean;
  /** A trunk created by this process that describes may not show yet (eventual consistency). */
  pendingCreate?: { eniId: string; at: number; polls: number };
  /** A half-made trunk still to be removed before anything else is tried. */
  rollback?: { eniId: string; attachmentId?: string };
  /** Bumped after each rollback: a fresh ClientToken for the next create. */
  generation: number;
  /** Looks at an attachment still `attaching` (the poll interval doubles). */
  attachPolls: number;
  announced: boolean;
  /** Last warning per reason, so a repeating reconcile does not repeat its event. */
  warned: Map<string, string>;
  /** `failed` was set by markFailed (repeated failures), not by a step: cleared when one gets through. */
  failedByRetries?: boolean;
}

const targetKey = (t: TrunkTarget): string => `${t.subnetId}|${[...t.groups].sort().join(',')}`;

export class NodeReconciler {
  private readonly records = new Map<string, NodeRecord>();
  private readonly subnets: SubnetCache;
  private readonly now: () => number;
  private readonly attachPollMs: number;
  private readonly slotRecheckMs: number;
  private readonly describer: InstanceDescriber;
  private readonly cniNodeEnsurer: CniNodeEnsurer;

  constructor(private readonly d: NodeReconcilerDeps) {
    this.describer = new InstanceDescriber({ ec2: d.ec2 });
    this.cniNodeEnsurer = new CniNodeEnsurer({ writes: d.writes, clusterName: d.settings.clusterName, ...(d.cniNodeCarryOver ? { carryOver: d.cniNodeCarryOver } : {}) });
    this.subnets = new SubnetCache(d.ec2);
    this.now = d.now ?? Date.now;
    this.attachPollMs = d.attachPollMs ?? 1_000;
    this.slotRecheckMs = d.slotRecheckMs ?? 60_000;
  }

  /** Names of nodes this reconciler holds anything for. */
  knownNodes(): string[] {
    return [...this.records.keys()];
  }

  /** The instance of a node as last seen (for CNINode cleanup after the Node is gone). */
  instanceOf(nodeName: string): string | undefined {
    return this.records.get(nodeName)?.instanceId;
  }

  async reconcile(name: string, rc: ReconcileContext): Promise<ReconcileOutcome> {
    const node = this.d.nodes.get(name);
    if (!node || node.metadata?.deletionTimestamp) {
      this.release(name);
      return Outcome.done();
    }
    const cni = this.d.cniNodes.get(name);
    // Every served node gets its CNINode first, whether or not the CNI has asked for anything yet.
    await this.cniNodeEnsurer.ensure(node, cni);
    const features = cni ? cniNodeFeatures(cni) : undefined;
    const nf = nodeFacts(node);
    const elig = nodeEligibility(nf, features);
    if (!elig.eligible) {
      this.release(name);
      this.d.metrics.setState(name, 'ineligible');
      return Outcome.done();
    }
    let rec = this.records.get(name);
    if (!rec || rec.instanceId !== elig.instanceId) {
      // A new node, or the Node name now belongs to another instance: start over.
      if (rec) this.release(name);
      rec = { instanceId: elig.instanceId, since: this.now(), state: 'initializing', generation: 0, attachPolls: 0, announced: false, warned: new Map() };
      this.records.set(name, rec);
      // Counted from the first sight: a node whose first reconcile fails is in vpcrc_nodes too.
      this.setState(name, rec, 'initializing');
    }
    const log = rc.logger.child({ node: name, instance: rec.instanceId });

    if (rec.rollback) {
      const gone = await finishRollback(this.d.ec2, rec.rollback);
      if (!gone) return this.later(this.attachPollMs * 2);
      log.info({ eniId: rec.rollback.eniId }, 'half-made trunk removed');
      rec.rollback = undefined;
    }

    const resolution = resolveEniConfig({
      node: nf,
      cniNodeFeatures: features,
      settings: this.d.settings,
      eniConfigs: (n) => this.d.eniConfigs.get(n),
    });
    if (resolution.state === 'unsettled' || resolution.state === 'invalid') {
      // Nothing is created, and no EC2 call carries the ENIConfig's IDs: an unresolved name or
      // malformed IDs must never reach EC2 (contract §5).
      this.setState(name, rec, resolution.state === 'unsettled' ? 'waiting-eniconfig' : 'invalid-eniconfig');
      this.warnOnce(node, rec, REASON_ENICONFIG_NOT_SETTLED, resolution.reason);
      log.debug({ reason: resolution.reason }, 'ENIConfig not settled; trunk waits');
      if (rec.trunk) {
        // The trunk exists already; it keeps serving pods.
        return this.advertise(node, rec, log);
      }
      // After a restart the trunk may exist already (the ENIConfig was deleted or broken later):
      // finding it is a read, and it keeps serving pods; only creating one must wait.
      return this.adoptExistingOnly(node, rec, log);
    }
    rec.warned.delete(REASON_ENICONFIG_NOT_SETTLED);

    // Fast path: the trunk is known and nothing about its target changed; only re-assert the Node.
    if (rec.trunk && rec.state === 'ready' && rec.trunk.targetKey === this.cheapTargetKey(resolution, rec)) {
      return this.advertise(node, rec, log);
    }

    const facts = await this.describer.describe(rec.instanceId);
    if (!facts) {
      this.setState(name, rec, 'instance-missing');
      log.info('instance not found or terminated; looking again later');
      return Outcome.requeueAfter(30_000);
    }

    const trunk = findTrunk(facts);
    const target = trunkTarget(resolution, facts);
    if (trunk) return this.adoptTrunk(node, rec, facts, trunk, target, log);

    if (rec.pendingCreate) {
      // Created by us but not shown by DescribeInstances yet: look at the ENI itself.
      const settled = await this.pendingVisible(rec);
      if (!settled) return this.later(this.pollDelay(rec.pendingCreate.polls++));
    }
    return this.createTrunk(node, rec, facts, target, resolution, log);
  }

  /** Repeated failures of this node's reconcile (node-failures.ts): counted as failed until one gets through. */
  markFailed(name: string): void {
    const rec = this.records.get(name);
    if (!rec) return;
    this.setState(name, rec, 'failed');
    rec.failedByRetries = true;
  }

  /** A reconcile got through after markFailed: back to initializing unless a step has set the state since. */
  clearFailed(name: string): void {
    const rec = this.records.get(name);
    if (rec?.failedByRetries) this.setState(name, rec, 'initializing');
  }

  /** Forget a node: its trunk is no longer offered to the pod side. EC2 cleanup is the CNINode finalizer's. */
  release(name: string): void {
    this.records.delete(name);
    this.d.trunks.remove(name);
    this.d.metrics.setState(name, undefined);
    this.d.metrics.drift('subnet', name, false);
    this.d.metrics.drift('groups', name, false);
  }

  // ------------------------------------------------------------------ steps

  /** The target as far as it can be known without EC2 (the primary ENI's groups from the last look). */
  private cheapTargetKey(resolution: Extract<EniConfigResolution, { state: 'resolved' | 'not-needed' }>, rec: NodeRecord): string {
    const t = rec.trunk;
    if (!t) return '';
    return targetKey(trunkTarget(resolution, { subnetId: t.instanceSubnetId, primaryGroups: t.primaryGroups }));
  }

  private async pendingVisible(rec: NodeRecord): Promise<boolean> {
    const p = rec.pendingCreate;
    if (!p) return true;
    try {
      const enis = await this.d.ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [p.eniId] }, { priority: 'trunk' });
      const att = enis[0]?.Attachment;
      if (att?.InstanceId === rec.instanceId) return false; // attached; DescribeInstances will show it soon
    } catch (err) {
      if (!isEc2NotFound(err)) throw err;
      if (this.now() - p.at < 60_000) return false; // not visible yet
    }
    // Not attached to this instance (or gone for good): forget it and decide afresh.
    rec.pendingCreate = undefined;
    return true;
  }

  /** Adopt an attached trunk as it is (no target to compare with); never create one. */
  private async adoptExistingOnly(node: V1Node, rec: NodeRecord, log: Logger): Promise<ReconcileOutcome> {
    const facts = await this.describer.describe(rec.instanceId);
    const trunk = facts ? findTrunk(facts) : undefined;
    if (!facts || !trunk || trunk.attachmentStatus !== 'attached') return Outcome.done();
    const outcome = await this.adoptTrunk(node, rec, facts, trunk, { subnetId: trunk.subnetId, groups: trunk.groups }, log);
    // No real target yet: the first reconcile with a settled ENIConfig checks drift.
    if (rec.trunk) rec.trunk.targetKey = '';
    return outcome;
  }

  private async createTrunk(
    node: V1Node,
    rec: NodeRecord,
    facts: InstanceFacts,
    target: TrunkTarget,
    resolution: EniConfigResolution,
    log: Logger,
  ): Promise<ReconcileOutcome> {
    const name = node.metadata?.name ?? '';
    const limits = this.d.limits.get(facts.instanceType);
    const placement = planTrunkPlacement({
      instanceType: facts.instanceType,
      limits,
      attachedDeviceIndexes: usedDeviceIndexes(facts, limits?.defaultNetworkCardIndex ?? 0),
      customNetworking: resolution.state === 'resolved',
    });
    if (!placement.ok) {
      const unsupported = placement.code === 'unknown-type' || placement.code === 'unsupported';
      this.setState(name, rec, unsupported ? 'unsupported' : 'refused');
      this.warnOnce(node, rec, unsupported ? REASON_UNSUPPORTED : REASON_INSUFFICIENT_INTERFACE_SLOTS, placement.reason);
      log.info({ code: placement.code }, 'no trunk for this node');
      // A slot may free up (the CNI detaches an ENI); the type or the custom-networking refusal cannot change.
      return placement.code === 'no-free-slot' ? Outcome.requeueAfter(this.slotRecheckMs) : Outcome.done();
    }
    rec.warned.delete(REASON_UNSUPPORTED);
    rec.warned.delete(REASON_INSUFFICIENT_INTERFACE_SLOTS);
    this.setState(name, rec, 'initializing');

    const subnet = await this.subnets.get(target.subnetId);
    if (subnet.availabilityZone !== facts.availabilityZone) {
      this.setState(name, rec, 'failed');
      this.warnOnce(
        node,
        rec,
        REASON_NODE_TRUNK_FAILED_INIT,
        `Subnet ${subnet.subnetId}${target.eniConfig ? ` of ENIConfig ${target.eniConfig}` : ''} is in ${subnet.availabilityZone} but the node's instance is in ${facts.availabilityZone}; ` +
          `a trunk must be in the instance's zone: point the node at an ENIConfig for ${facts.availabilityZone}`,
      );
      return Outcome.done();
    }
    try {
      const created = await createAndAttachTrunk(
        this.d.ec2,
        {
          clusterName: this.d.settings.clusterName,
          instanceId: rec.instanceId,
          subnetId: target.subnetId,
          groups: target.groups,
          deviceIndex: placement.deviceIndex,
          networkCardIndex: limits?.defaultNetworkCardIndex ?? 0,
          generation: rec.generation,
          extraTags: this.d.cniNodes.get(name)?.spec?.tags ?? {},
        },
        log,
      );
      log.info({ eniId: created.eniId, deviceIndex: placement.deviceIndex, subnetId: target.subnetId, groups: target.groups }, 'trunk created and attached');
      rec.pendingCreate = { eniId: created.eniId, at: this.now(), polls: 0 };
      rec.createdHere = true;
      return this.later(this.attachPollMs);
    } catch (err) {
      const cause = err instanceof TrunkCreationError ? err.cause : err;
      if (err instanceof TrunkCreationError && err.step !== 'create') {
        rec.generation++;
        if (err.leftover) rec.rollback = err.leftover;
      }
      const e = toEc2Error(err instanceof TrunkCreationError ? stepAction(err.step) : 'CreateNetworkInterface', cause);
      this.setState(name, rec, 'failed');
      this.warnOnce(node, rec, REASON_NODE_TRUNK_FAILED_INIT, `Failed to create the trunk interface: ${explainEc2Failure(e).message}`);
      log.warn({ err: e.message, class: e.class }, 'trunk creation failed');
      return outcomeOf(e);
    }
  }

  private async adoptTrunk(
    node: V1Node,
    rec: NodeRecord,
    facts: InstanceFacts,
    trunk: AttachedInterface,
    target: TrunkTarget,
    log: Logger,
  ): Promise<ReconcileOutcome> {
    const name = node.metadata?.name ?? '';
    rec.pendingCreate = undefined;
    if (trunk.attachmentStatus === 'attaching') {
      this.setState(name, rec, 'initializing');
      return this.later(this.pollDelay(rec.attachPolls++));
    }
    rec.attachPolls = 0;
    if (trunk.attachmentStatus !== 'attached') {
      // Someone is detaching it: wait until it is gone, then a new one is created.
      this.setState(name, rec, 'initializing');
      log.info({ eniId: trunk.eniId, status: trunk.attachmentStatus }, 'trunk is being detached; waiting');
      return Outcome.requeueAfter(2_000);
    }
    if (!trunk.deleteOnTermination) await setDeleteOnTermination(this.d.ec2, trunk.eniId, trunk.attachmentId);

    const limits = this.d.limits.get(facts.instanceType);
    if (!limits?.trunkSupported) {
      this.setState(name, rec, 'unsupported');
      this.warnOnce(node, rec, REASON_UNSUPPORTED, messageUnsupported(facts.instanceType));
      return Outcome.done();
    }

    let groups = trunk.groups;
    const drift = trunkDrift(trunk, target);
    this.d.metrics.drift('subnet', name, drift.subnet !== undefined);
    if (drift.subnet) this.warnOnce(node, rec, REASON_TRUNK_SUBNET_DRIFT, subnetDriftMessage(trunk.eniId, drift.subnet, target.eniConfig));
    else rec.warned.delete(REASON_TRUNK_SUBNET_DRIFT);
    if (drift.groups) {
      const fixing = this.d.settings.fixTrunkSecurityGroups;
      this.warnOnce(node, rec, REASON_TRUNK_SECURITY_GROUP_DRIFT, groupDriftMessage(trunk.eniId, drift.groups, target.eniConfig, fixing));
      if (fixing) {
        await setTrunkGroups(this.d.ec2, trunk.eniId, target.groups);
        this.d.metrics.driftFixed();
        log.info({ eniId: trunk.eniId, groups: target.groups }, 'trunk security groups updated in place');
        groups = [...target.groups];
      }
    }
    const stillDrifting = drift.groups !== undefined && !this.d.settings.fixTrunkSecurityGroups;
    this.d.metrics.drift('groups', name, stillDrifting);
    if (!stillDrifting) rec.warned.delete(REASON_TRUNK_SECURITY_GROUP_DRIFT);

    const subnet = await this.subnets.get(trunk.subnetId);
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
    const outcome = await this.advertise(node, rec, log);
    if (created) {
      this.d.metrics.trunkInit((this.now() - rec.since) / 1000, rec.createdHere ? 'created' : 'reused');
    }
    return outcome;
  }

  /** Capacity and label on the Node, events once, and the trunk published for the pod side. */
  private async advertise(node: V1Node, rec: NodeRecord, log: Logger): Promise<ReconcileOutcome> {
    const t = rec.trunk;
    if (!t) return Outcome.done();
    const name = t.nodeName;
    const want = String(t.branchLimit);
    const capacity = (node.status?.capacity ?? {}) as Record<string, string>;
    if (capacity[RESOURCE_POD_ENI] !== want) {
      await this.d.writes.patchNodeStatus(name, { status: { capacity: { [RESOURCE_POD_ENI]: want } } });
      log.info({ capacity: want }, 'pod-eni capacity advertised');
    }
    if (node.metadata?.labels?.[LABEL_HAS_TRUNK_ATTACHED] !== 'true') {
      await this.d.writes.patchNode(name, { metadata: { labels: { [LABEL_HAS_TRUNK_ATTACHED]: 'true' } } });
    }
    if (rec.state !== 'ready') rec.warned.delete(REASON_NODE_TRUNK_FAILED_INIT);
    this.setState(name, rec, 'ready');
    if (!rec.announced) {
      rec.announced = true;
      const target = eventTarget('Node', node);
      this.d.events.normal(target, REASON_CONTROLLER_VERSION_NOTICE, messageControllerVersion(CONTROLLER_VERSION));
      this.d.events.normal(target, REASON_NODE_TRUNK_INITIATED, MESSAGE_NODE_TRUNK_INITIATED);
    }
    const { targetKey: _k, instanceSubnetId: _s, primaryGroups: _p, ...info } = t;
    this.d.trunks.publish(info);
    return Outcome.done();
  }

  // ------------------------------------------------------------------ helpers

  /**
   * Look at a node again soon, ahead of nodes not started yet (the node queue's high lane): a trunk
   * being attached is advertised as soon as it is, not after every other node's creation when
   * hundreds join at once.
   */
  private later(delayMs: number): ReconcileOutcome {
    return Outcome.requeueAfter(delayMs, 'high');
  }

  private pollDelay(n: number): number {
    return this.attachPollMs * 2 ** Math.min(Math.max(0, n), 3);
  }

  private setState(name: string, rec: NodeRecord, state: NodeState): void {
    rec.state = state;
    rec.failedByRetries = false;
    this.d.metrics.setState(name, state);
  }

  private warnOnce(node: V1Node, rec: NodeRecord, reason: string, message: string): void {
    if (rec.warned.get(reason) === message) return;
    rec.warned.set(reason, message);
    this.d.events.warning(eventTarget('Node', node), reason, message);
  }
}

function stepAction(step: TrunkCreationError['step']): string {
  return step === 'create' ? 'CreateNetworkInterface' : step === 'attach' ? 'AttachNetworkInterface' : 'ModifyNetworkInterfaceAttribute';
}

