// The security groups of the cluster's VPC, read with DescribeSecurityGroups (filtered on vpc-id,
// paginated, in the `background` pool so pod starts always go first), for the policies that name
// groups by name or by tags. Read only while some policy needs it, refreshed on a period and when
// such a policy changes; listeners hear when the answer changed so pods and policy status follow.
//
//   const catalog = new SecurityGroupCatalog({ ec2, vpcId, trunkSubnet, needed, logger });
//   catalog.onChange(() => requeue...);  catalog.start();
//   catalog.resolve(policy.spec.securityGroups, quota)  // → { ok, groups } | { ok: false, reason, message }
import type { PolicySecurityGroups } from '../../apis/security-group-policy.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import { resolvePolicyGroups, type GroupFacts, type GroupResolution } from '../../domain/policy-groups.js';
import type { Logger } from '../../observability/logger.js';
import { counter, gauge, type Registry } from '../../observability/metrics.js';

export interface GroupCatalogDeps {
  ec2: Pick<Ec2Api, 'describeSecurityGroups' | 'describeSubnets'>;
  /** The cluster's VPC when configured; otherwise found from the subnet of a trunk. */
  vpcId?: string;
  /** The subnet of any ready trunk (undefined while there is none). */
  trunkSubnet: () => string | undefined;
  /** Whether any policy names groups by name or tag: no EC2 call is made while none does. */
  needed: () => boolean;
  logger: Logger;
  registry?: Registry;
  /** Period of the refresh. Default 5 min; 0 turns the periodic refresh off. */
  refreshMs?: number;
  /** Delay before retrying a failed read. Default 15 s. */
  retryMs?: number;
}

export class SecurityGroupCatalog {
  private current: GroupFacts[] | undefined;
  private vpcId: string | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly listeners: (() => void)[] = [];
  private readonly log: Logger;
  private readonly metrics: { reads: (result: 'ok' | 'error') => void; size: (n: number) => void };

  constructor(private readonly deps: GroupCatalogDeps) {
    this.vpcId = deps.vpcId;
    this.log = deps.logger.child({ component: 'group-catalog' });
    this.metrics = makeMetrics(deps.registry);
  }

  /** The VPC's groups as last read; undefined until the first successful read. */
  groups(): readonly GroupFacts[] | undefined {
    return this.current;
  }

  resolve(sg: PolicySecurityGroups | undefined, quota: number): GroupResolution {
    return resolvePolicyGroups(sg, this.current, quota);
  }

  /** Called after a read changed the catalog (or made it known). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    const every = this.deps.refreshMs ?? 300_000;
    if (every > 0) {
      this.timer = setInterval(() => void this.refresh(), every);
      this.timer.unref();
    }
    void this.refresh();
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    return this.running ?? Promise.resolve();
  }

  /**
   * Read the VPC's groups now (when some policy needs them). Calls during a read make one more read
   * after it, so a group created just before its policy is seen. Never throws: a failed read keeps
   * the last answer and is retried.
   */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.readOnce().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.running;
  }

  private async readOnce(): Promise<void> {
    if (!this.deps.needed()) return;
    try {
      const vpcId = await this.findVpc();
      if (!vpcId) {
        this.log.debug('no VPC known yet (no --vpc-id, no trunk): group names and tags wait for the first trunk');
        return;
      }
      const found = await this.deps.ec2.describeSecurityGroups({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }, { priority: 'background' });
      const next: GroupFacts[] = found
        .filter((g) => g.GroupId)
        .map((g) => ({
          groupId: g.GroupId ?? '',
          groupName: g.GroupName ?? '',
          tags: Object.fromEntries((g.Tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key ?? '', t.Value ?? ''])),
        }))
        .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
      this.metrics.reads('ok');
      this.metrics.size(next.length);
      const changed = this.current === undefined || JSON.stringify(next) !== JSON.stringify(this.current);
      this.current = next;
      if (changed) {
        this.log.info({ vpcId, groups: next.length }, "security groups of the cluster's VPC read");
        for (const l of this.listeners) l();
      }
    } catch (err) {
      this.metrics.reads('error');
      this.log.warn({ err: (err as Error).message }, "reading the security groups of the cluster's VPC failed; retrying");
      if (!this.stopped && !this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          void this.refresh();
        }, this.deps.retryMs ?? 15_000);
        this.retryTimer.unref();
      }
    }
  }

  private async findVpc(): Promise<string | undefined> {
    if (this.vpcId) return this.vpcId;
    const subnet = this.deps.trunkSubnet();
    if (!subnet) return undefined;
    const [s] = await this.deps.ec2.describeSubnets({ SubnetIds: [subnet] }, { priority: 'background' });
    this.vpcId = s?.VpcId;
    return this.vpcId;
  }
}

function makeMetrics(registry: Registry | undefined): { reads: (result: 'ok' | 'error') => void; size: (n: number) => void } {
  if (!registry) return { reads: () => {}, size: () => {} };
  const reads = counter(registry, { name: 'vpcrc_security_group_catalog_reads_total', help: "Reads of the cluster VPC's security groups (for policies by name or tag), by result", labelNames: ['result'] });
  const size = gauge(registry, { name: 'vpcrc_security_group_catalog_groups', help: "Security groups in the cluster's VPC as last read" });
  return { reads: (result) => reads.inc({ result }), size: (n) => size.set(n) };
}
