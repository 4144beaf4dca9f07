// One node's kubelet and VPC CNI, as clients of the local API server and the local EC2:
// - kubelet identity: registers the Node, keeps Ready fresh (heartbeat), mirrors extended
//   resources from capacity into allocatable as kubelet does (and never clears a capacity it did
//   not set), runs the pods bound to the node (see pod-status.ts);
// - aws-node identity: asks for a trunk through CNINode features or the legacy node label. Like
//   the real aws-node (v1.15+) it never creates the CNINode: it patches spec.features of the one
//   the controller created, and waits (retrying, logged) while there is none. See docs/sandbox.md.
// The fleet (node-fleet.ts) owns the shared informers and hands each agent its objects.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type CustomObjectsApi, type V1Node, type V1Pod } from '@kubernetes/client-node';
import type { CNINode } from '../../../apis/cninode.js';
import { CNINODE_GROUP, CNINODE_PLURAL, CNINODE_VERSION, FEATURE_SECURITY_GROUPS_FOR_PODS } from '../../../apis/constants.js';
import { isAlreadyExists, isConflict, isNotFound, messageOf } from '../../../kube/errors.js';
import { mergePatchCustomObject, mergePatchNode, mergePatchNodeStatus } from '../../../kube/patch.js';
import type { Logger } from '../../../observability/logger.js';
import { desiredFeatures, labelsToRequest, nextFeature, trunkRequestAllowed, withFeature, type CniMode, type FeatureOrder } from './cni-features.js';
import { buildNode, nodeNameFor, nodeStatus, readyConditions, type InstanceFacts } from './node-identity.js';
import { retryEc2 } from './ec2-retry.js';
import { PodIpPool } from './pod-ip-pool.js';
import { planPod, wantsBranchEni, type PodView } from './pod-status.js';
import { Inflight } from './inflight.js';
import { serialRunner } from './serial-runner.js';

export interface CniSettings {
  mode: CniMode;
  customNetworking: boolean;
  featureOrder: FeatureOrder;
  /** Pause between adding the first and the second CNINode feature (the upgrade race window). */
  featureDelayMs: number;
  /** ENIConfig name for a zone (the sandbox names ENIConfigs after zones). */
  eniConfigNameForZone: (zone: string) => string;
}

export interface NodeAgentDeps {
  kubelet: CoreV1Api;
  awsNodeCore: CoreV1Api;
  awsNodeCustom: CustomObjectsApi;
  ec2: EC2Client;
  logger: Logger;
  cni: CniSettings;
  heartbeatMs: number;
  slotRecheckMs: number;
  /** Current objects from the fleet's informers. */
  getNode: (name: string) => V1Node | undefined;
  getCniNode: (name: string) => CNINode | undefined;
  getPod: (key: string) => V1Pod | undefined;
}

const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'pods', 'ephemeral-storage']);
/** Extended resources: a domain-prefixed name outside kubernetes.io (e.g. vpc.amazonaws.com/pod-eni). */
export const isExtendedResource = (name: string): boolean =>
  !STANDARD_RESOURCES.has(name) && !name.startsWith('hugepages-') && name.includes('/') && !name.split('/')[0]!.endsWith('kubernetes.io') && !name.startsWith('requests.');

const podKeyOf = (p: { metadata?: { namespace?: string; name?: string } }): string => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;
const rvNum = (p: V1Pod | undefined): number => Number(p?.metadata?.resourceVersion ?? -1) || -1;

export class NodeAgent {
  readonly name: string;
  private readonly log: Logger;
  private readonly pool: PodIpPool;
  private readonly podRunners = new Map<string, () => void>();
  private readonly podTimers = new Map<string, NodeJS.Timeout>();
  private readonly lastWritten = new Map<string, V1Pod>();
  private heartbeat: NodeJS.Timeout | undefined;
  private cniTimer: NodeJS.Timeout | undefined;
  private readonly runCni: () => void;
  private readonly syncAllocatable: () => void;
  private sgpAllowed = false;
  private lastSlotCheck = 0;
  private lastFeatureAt = 0;
  private cniFailures = 0;
  private cniNodeWaits = 0;
  /** This CNI added SecurityGroupsForPods once; it is withheld for good once a trunk is attached. */
  private sgpAdded = false;
  private sgpWithheld = false;
  private stopped = false;
  /** Test hook state: the kubelet stopped posting status (see setReady). */
  private silenced = false;
  private readyChangedAt = new Date();
  private readonly inflight = new Inflight();
  private readonly track = (p: Promise<unknown>): void => {
    void this.inflight.track(p);
  };

  constructor(
    private readonly deps: NodeAgentDeps,
    readonly facts: InstanceFacts,
    readonly podCidr: string,
    /** What EC2 said about the instance's interfaces when it was described at launch. */
    initialSlots?: { hasTrunk: boolean; attachedInterfaces: number },
  ) {
    this.name = nodeNameFor(facts.privateIp, facts.region);
    this.log = deps.logger.child({ node: this.name, instance: facts.instanceId });
    this.pool = new PodIpPool(podCidr);
    const onError = (what: string) => (err: unknown) => this.log.warn({ err: messageOf(err) }, `${what} failed`);
    this.runCni = serialRunner(
      () => this.cniStep(),
      (err) => {
        onError('cni')(err);
        // Back off on repeated failures (a webhook or quota saying no) instead of retrying every second.
        this.cniFailures += 1;
        this.scheduleCni(Math.min(30_000, 500 * 2 ** Math.min(this.cniFailures, 6)));
      },
      this.track,
    );
    if (initialSlots) {
      this.sgpAllowed = trunkRequestAllowed({ ...initialSlots, maxInterfaces: facts.maxInterfaces });
      this.lastSlotCheck = Date.now();
    }
    this.syncAllocatable = serialRunner(() => this.mirrorExtendedResources(), onError('allocatable sync'), this.track);
  }

  /** Registers the Node (or takes over an existing one), marks it Ready and starts the heartbeat and the CNI. */
  async start(): Promise<void> {
    await this.register();
    const beat = (): void => {
      if (this.stopped || this.silenced) return;
      const p = mergePatchNodeStatus(this.deps.kubelet, this.name, { status: { conditions: readyConditions(new Date(), this.readyChangedAt) } }).catch((err: unknown) => {
        if (isNotFound(err)) this.reregister();
        else this.log.debug({ err: messageOf(err) }, 'heartbeat failed');
      });
      this.track(p);
    };
    // Kubelets are not in step: a random phase spreads the heartbeats of nodes that joined together.
    this.heartbeat = setTimeout(() => {
      beat();
      this.heartbeat = setInterval(beat, this.deps.heartbeatMs);
      this.heartbeat.unref();
    }, Math.random() * this.deps.heartbeatMs);
    this.heartbeat.unref();
    this.runCni();
  }

  private async register(): Promise<void> {
    const node = buildNode(this.facts, { podCidr: this.podCidr, now: new Date() });
    try {
      await this.deps.kubelet.createNode({ body: node });
    } catch (err) {
      if (!isAlreadyExists(err) && !isConflict(err)) throw err;
      const meta = node.metadata as { labels: Record<string, string> };
      await mergePatchNode(this.deps.kubelet, this.name, { metadata: { labels: meta.labels }, spec: node.spec });
    }
    // Status is written through the status subresource as well: an API server may drop it on create.
    await mergePatchNodeStatus(this.deps.kubelet, this.name, { status: nodeStatus(this.facts, new Date(), this.readyChangedAt) });
    this.log.debug('node registered');
  }

  private reregister(): void {
    if (this.stopped) return;
    this.track(this.register().then(() => this.runCni(), (err: unknown) => this.log.warn({ err: messageOf(err) }, 're-registration failed')));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearTimeout(this.heartbeat); // also clears an interval
    if (this.cniTimer) clearTimeout(this.cniTimer);
    for (const t of this.podTimers.values()) clearTimeout(t);
    this.podTimers.clear();
    await this.inflight.drain();
  }

  // ---- Node object events (from the fleet)

  onNode(): void {
    if (this.stopped) return;
    this.syncAllocatable();
    if (this.deps.cni.mode === 'label') this.runCni();
  }

  onNodeDeleted(): void {
    // A kubelet whose Node disappears registers it again.
    if (!this.stopped) this.reregister();
  }

  /** kubelet copies extended resources from capacity to allocatable and drops allocatable ones no longer in capacity. */
  private async mirrorExtendedResources(): Promise<void> {
    const node = this.deps.getNode(this.name);
    if (!node) return;
    const cap = (node.status?.capacity ?? {}) as Record<string, string>;
    const alloc = (node.status?.allocatable ?? {}) as Record<string, string>;
    const patch: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(cap)) if (isExtendedResource(k) && String(alloc[k]) !== String(v)) patch[k] = String(v);
    for (const k of Object.keys(alloc)) if (isExtendedResource(k) && !(k in cap)) patch[k] = null;
    if (Object.keys(patch).length === 0) return;
    await mergePatchNodeStatus(this.deps.kubelet, this.name, { status: { allocatable: patch } });
  }

  /**
   * Test hook: `false` makes the node go silent as when kubelet dies (conditions Unknown, as the
   * node lifecycle controller reports it; heartbeats stop); `true` brings it back Ready.
   */
  async setReady(ready: boolean): Promise<void> {
    this.silenced = !ready;
    this.readyChangedAt = new Date();
    await mergePatchNodeStatus(this.deps.kubelet, this.name, { status: { conditions: readyConditions(new Date(), this.readyChangedAt, !ready) } });
  }

  /**
   * Test hook: the node forgets an extended resource (as after a kubelet restart that re-registers
   * the node), so that tests can check the controller advertises it again.
   */
  async removeExtendedResource(resource: string): Promise<void> {
    await mergePatchNodeStatus(this.deps.kubelet, this.name, { status: { capacity: { [resource]: null }, allocatable: { [resource]: null } } });
  }

  // ---- CNI

  onCniNode(): void {
    if (!this.stopped && this.deps.cni.mode === 'cninode') this.runCni();
  }

  private scheduleCni(ms: number): void {
    if (this.stopped || this.cniTimer) return;
    this.cniTimer = setTimeout(() => {
      this.cniTimer = undefined;
      this.runCni();
    }, ms);
    this.cniTimer.unref();
  }

  private async trunkAttached(): Promise<boolean> {
    const out = await retryEc2(() => this.deps.ec2.send(new DescribeInstancesCommand({ InstanceIds: [this.facts.instanceId] })));
    return (out.Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces ?? []).some((e) => e.InterfaceType === 'trunk');
  }

  /** EC2's view: does the instance have a trunk, or a free interface slot for one? Cached once true. */
  private async checkSlots(): Promise<boolean> {
    if (this.sgpAllowed) return true;
    const now = Date.now();
    if (this.lastSlotCheck && now - this.lastSlotCheck < this.deps.slotRecheckMs) return false;
    this.lastSlotCheck = now;
    const out = await retryEc2(() => this.deps.ec2.send(new DescribeInstancesCommand({ InstanceIds: [this.facts.instanceId] })));
    const inst = out.Reservations?.[0]?.Instances?.[0];
    const enis = inst?.NetworkInterfaces ?? [];
    this.sgpAllowed = trunkRequestAllowed({
      hasTrunk: enis.some((e) => e.InterfaceType === 'trunk'),
      attachedInterfaces: enis.length,
      maxInterfaces: this.facts.maxInterfaces,
    });
    if (!this.sgpAllowed) this.log.info({ attached: enis.length, max: this.facts.maxInterfaces }, 'no free interface slot: not asking for a trunk');
    return this.sgpAllowed;
  }

  private async cniStep(): Promise<void> {
    if (this.stopped) return;
    const cni = this.deps.cni;
    const sgpAllowed = (await this.checkSlots()) && !this.sgpWithheld;
    if (!sgpAllowed && !this.sgpWithheld) this.scheduleCni(this.deps.slotRecheckMs);
    const inputs = { sgpAllowed, customNetworking: cni.customNetworking, eniConfigName: cni.eniConfigNameForZone(this.facts.availabilityZone), order: cni.featureOrder };
    if (cni.mode === 'label') {
      const node = this.deps.getNode(this.name);
      if (!node) return;
      const labels = labelsToRequest(inputs, node.metadata?.labels);
      if (Object.keys(labels).length > 0) await mergePatchNode(this.deps.awsNodeCore, this.name, { metadata: { labels } });
      return;
    }
    const desired = desiredFeatures(inputs);
    const current = this.deps.getCniNode(this.name);
    const next = nextFeature(current?.spec?.features, desired);
    if (!next) return;
    // aws-node never creates its CNINode: it reads the controller's and retries while it is missing.
    if (!current) return this.cniNodeMissing(next);
    this.cniNodeWaits = 0;
    if (next.name === FEATURE_SECURITY_GROUPS_FOR_PODS && this.sgpAdded && (await this.trunkAttached())) {
      // aws-node asks for SecurityGroupsForPods at its start (ipamd nodeInit) and then only while no
      // trunk is attached (updateIPPoolIfRequired → tryEnableSecurityGroupsForPods): a CNINode that
      // lost the feature (deleted and re-created) with the trunk in place does not get it back from
      // a running CNI.
      this.sgpWithheld = true;
      this.log.info('trunk attached: SecurityGroupsForPods is not asked for again');
      return this.cniStep();
    }
    const wait = this.lastFeatureAt + cni.featureDelayMs - Date.now();
    if (this.lastFeatureAt && wait > 0) {
      this.scheduleCni(wait);
      return;
    }
    const ref = { group: CNINODE_GROUP, version: CNINODE_VERSION, plural: CNINODE_PLURAL, name: this.name };
    try {
      // The resourceVersion makes the write conditional: never overwrite a change we have not seen
      // (aws-node patches with an optimistic lock too).
      await mergePatchCustomObject(this.deps.awsNodeCustom, ref, {
        metadata: { resourceVersion: current.metadata.resourceVersion },
        spec: { features: withFeature(current.spec?.features, next) },
      });
    } catch (err) {
      if (isConflict(err)) return; // a newer CNINode is on its way through the informer
      if (isNotFound(err)) return this.cniNodeMissing(next); // deleted meanwhile: the controller makes a new one
      throw err;
    }
    if (next.name === FEATURE_SECURITY_GROUPS_FOR_PODS) this.sgpAdded = true;
    this.lastFeatureAt = Date.now();
    this.cniFailures = 0;
    this.log.info({ feature: next }, 'CNINode feature added');
    if (nextFeature(withFeature(current?.spec?.features, next), desired)) this.scheduleCni(cni.featureDelayMs);
  }

  /**
   * No CNINode yet: what aws-node (ipamd AddFeatureToCNINode) does when its Get of the CNINode
   * fails NotFound — log the failure and try again (the SecurityGroupsForPods feature on its next
   * IP-pool reconcile, CustomNetworking after ipamd's init fails and the container restarts), here
   * with a backoff of 1 s doubling to 30 s. The CNINode informer's add wakes it sooner.
   */
  private cniNodeMissing(feature: { name: string }): void {
    this.cniNodeWaits += 1;
    const retryInMs = Math.min(30_000, 1_000 * 2 ** Math.min(this.cniNodeWaits - 1, 5));
    this.log.warn(
      { feature: feature.name, attempt: this.cniNodeWaits, retryInMs },
      `Failed to add feature ${feature.name} to CNINode: cninodes.vpcresources.k8s.aws "${this.name}" not found (the VPC resource controller creates it); retrying`,
    );
    this.scheduleCni(retryInMs);
  }

  /** How many times in a row the CNI found no CNINode for its node (0 once it found one). */
  get cniNodeMissingRetries(): number {
    return this.cniNodeWaits;
  }

  // ---- Pods

  onPod(pod: V1Pod): void {
    if (this.stopped) return;
    const key = podKeyOf(pod);
    let run = this.podRunners.get(key);
    if (!run) {
      run = serialRunner(
        () => this.reconcilePod(key),
        (err) => {
          this.log.warn({ pod: key, err: messageOf(err) }, 'pod update failed; retrying');
          this.wakePod(key, Date.now() + 1000);
        },
        this.track,
      );
      this.podRunners.set(key, run);
    }
    run();
  }

  onPodDeleted(pod: V1Pod): void {
    const key = podKeyOf(pod);
    this.pool.release(pod.metadata?.uid ?? '');
    const t = this.podTimers.get(key);
    if (t) clearTimeout(t);
    this.podTimers.delete(key);
    this.podRunners.delete(key);
    this.lastWritten.delete(key);
  }

  private wakePod(key: string, at: number): void {
    if (this.stopped) return;
    const prev = this.podTimers.get(key);
    if (prev) clearTimeout(prev);
    const t = setTimeout(() => {
      this.podTimers.delete(key);
      const pod = this.deps.getPod(key);
      if (pod) this.onPod(pod);
    }, Math.max(0, at - Date.now()));
    t.unref();
    this.podTimers.set(key, t);
  }

  private async reconcilePod(key: string): Promise<void> {
    const cached = this.deps.getPod(key);
    if (!cached || cached.spec?.nodeName !== this.name) return;
    // Our own last write may be newer than what the informer has delivered so far.
    const written = this.lastWritten.get(key);
    const pod = written && written.metadata?.uid === cached.metadata?.uid && rvNum(written) > rvNum(cached) ? written : cached;
    const view = pod as unknown as PodView;
    const uid = pod.metadata?.uid ?? key;
    const needsNodeIp = !pod.spec?.hostNetwork && !wantsBranchEni(view) && !pod.metadata?.deletionTimestamp;
    const plan = planPod(view, { now: new Date(), hostIp: this.facts.privateIp, nodePodIp: needsNodeIp ? this.pool.assign(uid) : pod.status?.podIP });
    const [namespace = '', name = ''] = [pod.metadata?.namespace, pod.metadata?.name];
    if (plan.kind === 'delete') {
      try {
        await this.deps.kubelet.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid } } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      this.pool.release(uid);
      return;
    }
    if (plan.kind === 'status') {
      try {
        const updated = await this.deps.kubelet.patchNamespacedPodStatus({ name, namespace, body: { status: plan.status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
        this.lastWritten.set(key, updated);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    }
    if (plan.wakeAt !== undefined) this.wakePod(key, plan.wakeAt);
  }
}
