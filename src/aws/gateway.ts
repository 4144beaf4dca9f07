// The EC2 gateway: every EC2 call the controller makes goes through one of these methods.
//
//   const gw = new Ec2Gateway({ client: createEc2Client({ region, endpoint }), config, registry, logger });
//   const eni = await gw.createNetworkInterface(
//     { SubnetId, Groups, Description: BRANCH_ENI_DESCRIPTION, TagSpecifications },
//     { priority: 'pod-start', purpose: ['branch', cluster, podUid, '0'] },
//   );
//   await gw.associateTrunkInterface({ BranchInterfaceId, TrunkInterfaceId, VlanId }, { priority: 'pod-start' });
//   gw.reconfigure(pacingFromConfigMap(cm.data, flagConfig).config);   // live knobs
//
// Path of a call: limiter (the action's token bucket, pod-start first) → work pool (bounded in-flight
// calls per priority) → SDK. Waiting for tokens happens before a pool slot is taken so that a
// backlog on one action (or one node's burst) never holds slots that another action could use.
//
// Priorities: 'pod-start' (branch create/associate for a scheduled pod), 'trunk' (node init),
// 'release' (disassociate/delete after cooldown, rollback), 'background' (GC, drift checks, describes
// for resync).
//
// Failures are thrown as `Ec2Error { action, code, class, message, retryAfterMs }`. The gateway
// retries by itself only where it is safe and cheap: a throttled call (EC2 did not perform it) after
// lowering that action's rate, up to `maxThrottleRetries`; a transient failure (5xx, timeout, network)
// once for reads and token-carrying calls. Everything else goes back to the caller, whose work queue
// backs off by class (`Outcome.retry(err, { errorClass: err.class, minDelayMs: err.retryAfterMs })`,
// or just throw it: the queue reads `class` and `retryAfterMs` from a thrown error).
import {
  AssociateTrunkInterfaceCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateNetworkInterfacePermissionCommand,
  CreateTagsCommand,
  DeleteNetworkInterfaceCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTrunkInterfaceAssociationsCommand,
  DetachNetworkInterfaceCommand,
  DisassociateTrunkInterfaceCommand,
  ModifyNetworkInterfaceAttributeCommand,
  type AssociateTrunkInterfaceRequest,
  type AttachNetworkInterfaceRequest,
  type AttachNetworkInterfaceResult,
  type CreateNetworkInterfacePermissionRequest,
  type CreateNetworkInterfaceRequest,
  type CreateTagsRequest,
  type DeleteNetworkInterfaceRequest,
  type DeleteTagsRequest,
  type DescribeInstancesRequest,
  type DescribeNetworkInterfacesRequest,
  type DescribeSecurityGroupsRequest,
  type DescribeSubnetsRequest,
  type DescribeTrunkInterfaceAssociationsRequest,
  type DetachNetworkInterfaceRequest,
  type DisassociateTrunkInterfaceRequest,
  type Instance,
  type ModifyNetworkInterfaceAttributeRequest,
  type NetworkInterface,
  type NetworkInterfacePermission,
  type SecurityGroup,
  type Subnet,
  type TrunkInterfaceAssociation,
} from '@aws-sdk/client-ec2';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import { counter, histogram, type Registry } from '../observability/metrics.js';
import { budgetKey, BUDGET_KEYS, SHARED_LIMITER_KEY, type BudgetKey, type Ec2Action, type LimiterKey } from './budgets.js';
import { clientToken } from './client-token.js';
import type { CallOptions, CreateOptions, Ec2Api, Ec2Pacing, TokenOptions } from './ec2-api.js';
import { Ec2Error, toEc2Error, type Ec2ErrorClass } from './error-classes.js';
import { defaultPacingConfig, effectiveBudgets, type PacingConfig, type Priority } from './pacing-config.js';
import { Pacer, type KeyPacingState } from './pacer.js';
import { Pools } from './pools.js';

/** Anything with the SDK client's `send` (EC2Client, or a fake in unit tests). */
export interface Ec2Sender {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's send is generic over every command
  send(command: any): Promise<any>;
}

export interface Ec2GatewayOptions {
  client: Ec2Sender;
  config?: PacingConfig;
  registry?: Registry;
  logger?: Logger;
  /** Resends of a throttled call through the slowed limiter before giving up. Default 5. */
  maxThrottleRetries?: number;
  now?: () => number;
}

/** Per-action counters since start, for benchmarks and introspection. */
export interface ActionStats {
  calls: number;
  errors: number;
  throttles: number;
}

type Command = { readonly input: object };

interface GatewayMetrics {
  call: (action: string, result: 'ok' | 'error') => void;
  error: (action: string, cls: Ec2ErrorClass, code: string) => void;
  throttle: (action: string) => void;
  wait: (action: string, seconds: number) => void;
  latency: (action: string, seconds: number) => void;
}

export class Ec2Gateway implements Ec2Api, Ec2Pacing {
  private readonly client: Ec2Sender;
  private readonly pacer: Pacer;
  private readonly pools: Pools;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly maxThrottleRetries: number;
  private readonly metrics: GatewayMetrics;
  private readonly counts = new Map<string, ActionStats>();
  private config: PacingConfig;
  private closed = false;

  constructor(opts: Ec2GatewayOptions) {
    this.client = opts.client;
    this.config = opts.config ?? defaultPacingConfig();
    this.log = (opts.logger ?? silentLogger()).child({ component: 'ec2-gateway' });
    this.now = opts.now ?? Date.now;
    this.maxThrottleRetries = opts.maxThrottleRetries ?? 5;
    this.pacer = new Pacer({
      budgets: effectiveBudgets(this.config),
      adaptive: this.config.adaptive,
      timeScale: this.config.timeScale,
      ...(opts.registry ? { registry: opts.registry } : {}),
      logger: this.log,
      now: this.now,
    });
    this.pools = new Pools({ sizes: this.config.pools, ...(opts.registry ? { registry: opts.registry } : {}) });
    this.metrics = makeMetrics(opts.registry);
  }

  // ---------------------------------------------------------------- reads (paged, retried once on transient errors)

  async describeInstances(input: DescribeInstancesRequest, opts: CallOptions): Promise<Instance[]> {
    const pages = await this.paged<{ NextToken?: string; Reservations?: { Instances?: Instance[] }[] }, DescribeInstancesRequest>('DescribeInstances', input, !input.InstanceIds?.length, (i) => new DescribeInstancesCommand(i), opts);
    return pages.flatMap((p) => (p.Reservations ?? []).flatMap((r) => r.Instances ?? []));
  }

  async describeSubnets(input: DescribeSubnetsRequest, opts: CallOptions): Promise<Subnet[]> {
    const pages = await this.paged<{ NextToken?: string; Subnets?: Subnet[] }, DescribeSubnetsRequest>('DescribeSubnets', input, !input.SubnetIds?.length, (i) => new DescribeSubnetsCommand(i), opts);
    return pages.flatMap((p) => p.Subnets ?? []);
  }

  async describeSecurityGroups(input: DescribeSecurityGroupsRequest, opts: CallOptions): Promise<SecurityGroup[]> {
    const pages = await this.paged<{ NextToken?: string; SecurityGroups?: SecurityGroup[] }, DescribeSecurityGroupsRequest>(
      'DescribeSecurityGroups',
      input,
      !input.GroupIds?.length && !input.GroupNames?.length,
      (i) => new DescribeSecurityGroupsCommand(i),
      opts,
    );
    return pages.flatMap((p) => p.SecurityGroups ?? []);
  }

  async describeNetworkInterfaces(input: DescribeNetworkInterfacesRequest, opts: CallOptions): Promise<NetworkInterface[]> {
    const pages = await this.paged<{ NextToken?: string; NetworkInterfaces?: NetworkInterface[] }, DescribeNetworkInterfacesRequest>(
      'DescribeNetworkInterfaces',
      input,
      !input.NetworkInterfaceIds?.length,
      (i) => new DescribeNetworkInterfacesCommand(i),
      opts,
    );
    return pages.flatMap((p) => p.NetworkInterfaces ?? []);
  }

  async describeTrunkInterfaceAssociations(
    input: DescribeTrunkInterfaceAssociationsRequest,
    opts: CallOptions,
  ): Promise<TrunkInterfaceAssociation[]> {
    const pages = await this.paged<{ NextToken?: string; InterfaceAssociations?: TrunkInterfaceAssociation[] }, DescribeTrunkInterfaceAssociationsRequest>(
      'DescribeTrunkInterfaceAssociations',
      input,
      !input.AssociationIds?.length,
      (i) => new DescribeTrunkInterfaceAssociationsCommand(i),
      opts,
      255, // this action's MaxResults range is 5..255
    );
    return pages.flatMap((p) => p.InterfaceAssociations ?? []);
  }

  // ---------------------------------------------------------------- mutations

  /** Always sent with a ClientToken derived from `purpose`, so a retry never makes a second ENI. */
  async createNetworkInterface(input: Omit<CreateNetworkInterfaceRequest, 'ClientToken'>, opts: CreateOptions): Promise<NetworkInterface> {
    const full: CreateNetworkInterfaceRequest = { ...input, ClientToken: clientToken(opts.purpose) };
    const out = await this.call<{ NetworkInterface?: NetworkInterface }>(
      'CreateNetworkInterface',
      'CreateNetworkInterface',
      () => new CreateNetworkInterfaceCommand(full),
      opts.priority,
      true,
    );
    if (!out.NetworkInterface?.NetworkInterfaceId) {
      throw new Ec2Error({ action: 'CreateNetworkInterface', code: 'EmptyResponse', class: 'transient', message: 'response has no NetworkInterface' });
    }
    return out.NetworkInterface;
  }

  async attachNetworkInterface(input: AttachNetworkInterfaceRequest, opts: CallOptions): Promise<AttachNetworkInterfaceResult> {
    return this.call('AttachNetworkInterface', 'AttachNetworkInterface', () => new AttachNetworkInterfaceCommand(input), opts.priority, false);
  }

  async detachNetworkInterface(input: DetachNetworkInterfaceRequest, opts: CallOptions): Promise<void> {
    await this.call('DetachNetworkInterface', 'DetachNetworkInterface', () => new DetachNetworkInterfaceCommand(input), opts.priority, false);
  }

  async modifyNetworkInterfaceAttribute(input: ModifyNetworkInterfaceAttributeRequest, opts: CallOptions): Promise<void> {
    await this.call(
      'ModifyNetworkInterfaceAttribute',
      'ModifyNetworkInterfaceAttribute',
      () => new ModifyNetworkInterfaceAttributeCommand(input),
      opts.priority,
      true, // setting an attribute to a value is idempotent
    );
  }

  async deleteNetworkInterface(input: DeleteNetworkInterfaceRequest, opts: CallOptions): Promise<void> {
    await this.call('DeleteNetworkInterface', 'DeleteNetworkInterface', () => new DeleteNetworkInterfaceCommand(input), opts.priority, false);
  }

  async associateTrunkInterface(
    input: Omit<AssociateTrunkInterfaceRequest, 'ClientToken'>,
    opts: TokenOptions,
  ): Promise<TrunkInterfaceAssociation> {
    const full: AssociateTrunkInterfaceRequest = opts.purpose ? { ...input, ClientToken: clientToken(opts.purpose) } : input;
    const out = await this.call<{ InterfaceAssociation?: TrunkInterfaceAssociation }>(
      'AssociateTrunkInterface',
      'AssociateTrunkInterface',
      () => new AssociateTrunkInterfaceCommand(full),
      opts.priority,
      opts.purpose !== undefined,
    );
    if (!out.InterfaceAssociation?.AssociationId) {
      throw new Ec2Error({ action: 'AssociateTrunkInterface', code: 'EmptyResponse', class: 'transient', message: 'response has no InterfaceAssociation' });
    }
    return out.InterfaceAssociation;
  }

  async disassociateTrunkInterface(input: Omit<DisassociateTrunkInterfaceRequest, 'ClientToken'>, opts: TokenOptions): Promise<void> {
    const full: DisassociateTrunkInterfaceRequest = opts.purpose ? { ...input, ClientToken: clientToken(opts.purpose) } : input;
    await this.call(
      'DisassociateTrunkInterface',
      'DisassociateTrunkInterface',
      () => new DisassociateTrunkInterfaceCommand(full),
      opts.priority,
      opts.purpose !== undefined,
    );
  }

  async createTags(input: CreateTagsRequest, opts: CallOptions): Promise<void> {
    await this.call('CreateTags', 'CreateTags', () => new CreateTagsCommand(input), opts.priority, true);
  }

  async deleteTags(input: DeleteTagsRequest, opts: CallOptions): Promise<void> {
    await this.call('DeleteTags', 'DeleteTags', () => new DeleteTagsCommand(input), opts.priority, true);
  }

  /** Needed only when the controller runs in another account than the instances (EKS's setup). */
  async createNetworkInterfacePermission(
    input: CreateNetworkInterfacePermissionRequest,
    opts: CallOptions,
  ): Promise<NetworkInterfacePermission | undefined> {
    const out = await this.call<{ InterfacePermission?: NetworkInterfacePermission }>(
      'CreateNetworkInterfacePermission',
      'CreateNetworkInterfacePermission',
      () => new CreateNetworkInterfacePermissionCommand(input),
      opts.priority,
      false,
    );
    return out.InterfacePermission;
  }

  // ---------------------------------------------------------------- knobs and introspection

  /** Apply new pacing knobs live (limiter rates/bursts, adaptive settings, pool sizes). */
  reconfigure(config: PacingConfig): void {
    if (this.config.timeScale !== config.timeScale) {
      this.log.warn('timeScale cannot change live; keeping the current one');
      config = { ...config, timeScale: this.config.timeScale };
    }
    this.config = config;
    this.pacer.reconfigure(effectiveBudgets(config), config.adaptive);
    this.pools.resize(config.pools);
    this.log.info(
      { accountShare: config.accountShare, rates: config.rates, bursts: config.bursts, pools: config.pools },
      'EC2 pacing reconfigured',
    );
  }

  currentConfig(): PacingConfig {
    return this.config;
  }

  /** Rates after throttling, per budget key. */
  pacingState(): Partial<Record<LimiterKey, KeyPacingState>> {
    const out: Partial<Record<LimiterKey, KeyPacingState>> = {};
    for (const k of this.limiterKeys()) {
      const s = this.pacer.state(k);
      if (s) out[k] = s;
    }
    return out;
  }

  /**
   * Actions EC2 throttled within the last `withinMs` (default 60 s) or still paced below their
   * configured rate because of it (introspection; the pod side's `EC2Throttled` event goes by the
   * failed call's error class instead).
   */
  throttledActions(withinMs = 60_000): LimiterKey[] {
    const now = this.now();
    return this.limiterKeys().filter((k) => {
      const s = this.pacer.state(k);
      if (!s || s.lastThrottleAt === undefined) return false;
      return s.currentRate < s.configuredRate || now - s.lastThrottleAt <= withinMs;
    });
  }

  /** Calls, errors and throttles per action since start. */
  stats(): Record<string, ActionStats> {
    return Object.fromEntries([...this.counts].map(([k, v]) => [k, { ...v }]));
  }

  poolStats(pool: Priority): { waiting: number; running: number; size: number } {
    return this.pools.stats(pool);
  }

  /** Calls waiting for a token of `key`. */
  queued(key: LimiterKey): number {
    return this.pacer.queued(this.limiterKey(key));
  }

  /** The limiter a budget key draws from: its own, or the one shared limiter under `shared`. */
  private limiterKey(key: LimiterKey): LimiterKey {
    return this.config.shared ? SHARED_LIMITER_KEY : key;
  }

  private limiterKeys(): LimiterKey[] {
    return this.config.shared ? [SHARED_LIMITER_KEY] : [...BUDGET_KEYS];
  }

  /**
   * Stop: calls still waiting for a token fail with a `GatewayClosed` Ec2Error; calls that have a
   * token (in a pool or in flight) finish, so no caller is left with a promise that never settles.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pacer.stop();
    await this.pools.onIdle();
  }

  // ---------------------------------------------------------------- the one call path

  private async paged<P extends { NextToken?: string }, I extends { NextToken?: string; MaxResults?: number; Filters?: unknown[] }>(
    action: Ec2Action,
    input: I,
    canPaginate: boolean,
    make: (input: I) => Command,
    opts: CallOptions,
    pageSize = 1000,
  ): Promise<P[]> {
    const pages: P[] = [];
    // Paginating (MaxResults) keeps list calls out of the lower "unfiltered, unpaginated" bucket. ID
    // lookups can't paginate, but IDs count as a filter (as the local EC2 meters them), so they stay
    // in the larger bucket too; only a bare call with no IDs, filters or MaxResults draws from it.
    let req: I = canPaginate && input.MaxResults === undefined ? { ...input, MaxResults: pageSize } : input;
    for (;;) {
      const unfiltered = canPaginate && !req.Filters?.length && req.MaxResults === undefined && req.NextToken === undefined;
      const page = await this.call<P>(action, budgetKey(action, unfiltered), () => make(req), opts.priority, true);
      pages.push(page);
      if (!page.NextToken) return pages;
      req = { ...req, NextToken: page.NextToken };
    }
  }

  private async call<O>(action: Ec2Action, budget: BudgetKey, make: () => Command, priority: Priority, idempotent: boolean): Promise<O> {
    if (this.closed) throw closedError(action);
    const key = this.limiterKey(budget);
    let throttles = 0;
    let transientRetries = 0;
    for (;;) {
      const queuedAt = this.now();
      let sent = false;
      try {
        const out = (await this.pacer.schedule(key, priority, () => {
          this.metrics.wait(action, (this.now() - queuedAt) / 1000);
          return this.pools.run(priority, async () => {
            sent = true;
            const start = this.now();
            try {
              return (await this.client.send(make())) as O;
            } finally {
              this.metrics.latency(action, (this.now() - start) / 1000);
            }
          });
        })) as O;
        this.count(action, 'ok');
        return out;
      } catch (raw) {
        if (!sent) {
          // Never reached EC2: the limiter or pool was shut down.
          if (this.closed) throw closedError(action);
          throw toEc2Error(action, raw);
        }
        const err = toEc2Error(action, raw);
        this.count(action, 'error', err);
        if (err.class === 'throttled') {
          this.pacer.onThrottle(key);
          if (throttles++ < this.maxThrottleRetries && !this.closed) continue;
        } else if (err.class === 'transient' && idempotent && transientRetries++ < 1 && !this.closed) {
          this.log.debug({ action, code: err.code }, 'transient EC2 failure; resending once');
          continue;
        }
        throw err;
      }
    }
  }

  private count(action: string, result: 'ok' | 'error', err?: Ec2Error): void {
    let c = this.counts.get(action);
    if (!c) this.counts.set(action, (c = { calls: 0, errors: 0, throttles: 0 }));
    c.calls++;
    this.metrics.call(action, result);
    if (err) {
      c.errors++;
      this.metrics.error(action, err.class, err.code);
      if (err.class === 'throttled') {
        c.throttles++;
        this.metrics.throttle(action);
      }
    }
  }
}

function closedError(action: string): Ec2Error {
  return new Ec2Error({ action, code: 'GatewayClosed', class: 'transient', message: 'the EC2 gateway is shutting down' });
}

function makeMetrics(registry: Registry | undefined): GatewayMetrics {
  if (!registry) return { call: () => {}, error: () => {}, throttle: () => {}, wait: () => {}, latency: () => {} };
  const calls = counter(registry, { name: 'vpcrc_ec2_calls_total', help: 'EC2 calls sent, by result', labelNames: ['action', 'result'] });
  const errors = counter(registry, { name: 'vpcrc_ec2_errors_total', help: 'EC2 errors by class and code', labelNames: ['action', 'class', 'code'] });
  const throttles = counter(registry, { name: 'vpcrc_ec2_throttles_total', help: 'RequestLimitExceeded responses', labelNames: ['action'] });
  const wait = histogram(registry, {
    name: 'vpcrc_ec2_limiter_wait_seconds',
    help: 'Time a call waited for a token of its action',
    labelNames: ['action'],
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  });
  const latency = histogram(registry, { name: 'vpcrc_ec2_call_duration_seconds', help: 'EC2 call latency (sent to answered)', labelNames: ['action'] });
  return {
    call: (action, result) => calls.inc({ action, result }),
    error: (action, cls, code) => errors.inc({ action, class: cls, code }),
    throttle: (action) => throttles.inc({ action }),
    wait: (action, s) => wait.observe({ action }, s),
    latency: (action, s) => latency.observe({ action }, s),
  };
}
