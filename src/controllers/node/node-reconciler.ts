// The node reconciler (key = node name): CNINode (cninode-ensurer.ts) → eligibility → ENIConfig settled → instance
// facts from EC2 → reuse or create the trunk → advertise capacity and label → publish the trunk
// for the pod side. Every step reads current state (caches, EC2) and does only what is missing,
// so running it again is harmless; what must survive a restart lives in EC2 (the attached trunk,
// its tags) and the Node (capacity, label), never only here.
import type { V1Node } from '@kubernetes/client-node';
import type { Ec2Api } from '../../aws/ec2-api.js';
import { isNotFound as isEc2NotFound } from '../../aws/error-classes.js';
import { cniNodeFeatures } from '../../apis/cninode.js';
import { REASON_ENICONFIG_NOT_SETTLED } from '../../apis/constants.js';
import { nodeFacts } from '../kube-facts.js';
import { resolveEniConfig, type EniConfigResolution } from '../../domain/eniconfig-resolution.js';
import type { LimitsTable } from '../../domain/instance-limits.js';
import { nodeEligibility } from '../../domain/node-eligibility.js';
import type { EventRecorder } from '../../kube/events.js';
import type { SupervisedInformer } from '../../kube/informer.js';
import { Outcome, type ReconcileContext, type ReconcileOutcome } from '../../kube/work-queue.js';
import type { Logger } from '../../observability/logger.js';
import type { ControllerSettings } from '../context.js';
import type { CNINodeObject, ENIConfigObject } from '../informers.js';
import type { TrunkRegistry } from '../trunk-registry.js';
import { CniNodeEnsurer, type CniNodeCarryOver } from '../cninode/cninode-ensurer.js';
import { InstanceDescriber } from './instance-describer.js';
import { findTrunk } from './instance-facts.js';
import type { NodeMetrics, NodeState } from './node-metrics.js';
import { newNodeRecord, NodeNotes, pollDelay, targetKey, type NodeRecord } from './node-record.js';
import type { NodeWrites } from './node-writes.js';
import { SubnetCache } from './subnet-cache.js';
import { adoptTrunkStep, advertise, type TrunkAdoptDeps } from './trunk-adopt-step.js';
import { createTrunkStep, soon, type TrunkCreateDeps } from './trunk-create-step.js';
import { finishRollback } from './trunk-ec2.js';
import { trunkTarget } from './trunk-target.js';

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

export class NodeReconciler {
  private readonly records = new Map<string, NodeRecord>();
  private readonly subnets: SubnetCache;
  private readonly now: () => number;
  private readonly attachPollMs: number;
  private readonly describer: InstanceDescriber;
  private readonly notes: NodeNotes;
  private readonly cniNodeEnsurer: CniNodeEnsurer;
  /** What the create and adopt steps (trunk-create-step.ts, trunk-adopt-step.ts) work with. */
  private readonly steps: TrunkCreateDeps & TrunkAdoptDeps;

  constructor(private readonly d: NodeReconcilerDeps) {
    this.describer = new InstanceDescriber({ ec2: d.ec2 });
    this.cniNodeEnsurer = new CniNodeEnsurer({ writes: d.writes, clusterName: d.settings.clusterName, ...(d.cniNodeCarryOver ? { carryOver: d.cniNodeCarryOver } : {}) });
    this.subnets = new SubnetCache(d.ec2);
    this.now = d.now ?? Date.now;
    this.attachPollMs = d.attachPollMs ?? 1_000;
    this.notes = new NodeNotes(d);
    this.steps = {
      ...d,
      subnets: this.subnets,
      notes: this.notes,
      now: this.now,
      attachPollMs: this.attachPollMs,
      slotRecheckMs: d.slotRecheckMs ?? 60_000,
    };
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
      rec = newNodeRecord(elig.instanceId, this.now());
      this.records.set(name, rec);
      // Counted from the first sight: a node whose first reconcile fails is in vpcrc_nodes too.
      this.setState(name, rec, 'initializing');
    }
    const log = rc.logger.child({ node: name, instance: rec.instanceId });

    if (rec.rollback) {
      const gone = await finishRollback(this.d.ec2, rec.rollback);
      if (!gone) return soon(this.attachPollMs * 2);
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
        return advertise(this.steps, node, rec, log);
      }
      // After a restart the trunk may exist already (the ENIConfig was deleted or broken later):
      // finding it is a read, and it keeps serving pods; only creating one must wait.
      return this.adoptExistingOnly(node, rec, log);
    }
    rec.warned.delete(REASON_ENICONFIG_NOT_SETTLED);

    // Fast path: the trunk is known and nothing about its target changed; only re-assert the Node.
    if (rec.trunk && rec.state === 'ready' && rec.trunk.targetKey === this.cheapTargetKey(resolution, rec)) {
      return advertise(this.steps, node, rec, log);
    }

    const facts = await this.describer.describe(rec.instanceId);
    if (!facts) {
      this.setState(name, rec, 'instance-missing');
      log.info('instance not found or terminated; looking again later');
      return Outcome.requeueAfter(30_000);
    }

    const trunk = findTrunk(facts);
    const target = trunkTarget(resolution, facts);
    if (trunk) return adoptTrunkStep(this.steps, { node, rec, facts, trunk, target, log });

    if (rec.pendingCreate) {
      // Created by us but not shown by DescribeInstances yet: look at the ENI itself.
      const settled = await this.pendingVisible(rec);
      if (!settled) return soon(pollDelay(this.attachPollMs, rec.pendingCreate.polls++));
    }
    return createTrunkStep(this.steps, { node, rec, facts, target, resolution, log });
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
    const outcome = await adoptTrunkStep(this.steps, { node, rec, facts, trunk, target: { subnetId: trunk.subnetId, groups: trunk.groups }, log });
    // No real target yet: the first reconcile with a settled ENIConfig checks drift.
    if (rec.trunk) rec.trunk.targetKey = '';
    return outcome;
  }

  private setState(name: string, rec: NodeRecord, state: NodeState): void {
    this.notes.setState(name, rec, state);
  }

  private warnOnce(node: V1Node, rec: NodeRecord, reason: string, message: string): void {
    this.notes.warnOnce(node, rec, reason, message);
  }
}
