// Leader election on a coordination.k8s.io/v1 Lease (default kube-system/cp-vpc-resource-controller,
// the reference controller's lease), following client-go's leaderelection algorithm:
//
//   const le = new LeaderElector({ coordination: kube.coordination, identity: podName,
//     onStartedLeading: () => controllers.start(), onStoppedLeading: () => process.exit(1) });
//   le.start();            // campaigns in the background
//   await le.stop();       // releases the lease if held, so a standby takes over at once
//
// - A candidate tries every `retryPeriodMs`; it takes the lease when it does not exist, is released
//   (empty holder), or has not been renewed for `leaseDurationMs` as observed on OUR clock (we time
//   how long the record stays unchanged rather than trusting the holder's clock).
//   A standby that watches another's lease looks again exactly when it would run out (not up to a
//   retry period later), so a crashed leader is replaced within a lease duration and one retry
//   period of its last renewal.
// - The leader renews every `retryPeriodMs`; if it cannot renew for `renewDeadlineMs` it gives up,
//   calls `onStoppedLeading` and campaigns again (callers usually exit, as client-go users do).
// - Writes use the read resourceVersion, so two candidates racing get one 409 Conflict.
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { LEADER_ELECTION_LEASE, LEADER_ELECTION_NAMESPACE } from '../apis/constants.js';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import { gauge, type Registry } from '../observability/metrics.js';
import { isNotFound, messageOf } from './errors.js';

export interface LeaderElectorOptions {
  coordination: Pick<CoordinationV1Api, 'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'>;
  /** Unique per process, e.g. the pod name. */
  identity: string;
  namespace?: string;
  name?: string;
  /** Default 15 s / 10 s / 2 s (client-go's defaults). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  onNewLeader?: (identity: string) => void;
  logger?: Logger;
  registry?: Registry;
  now?: () => number;
}

export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectorOptions, 'onNewLeader' | 'logger' | 'registry' | 'now'>>;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly setLeaderGauge: (v: number) => void;
  private leader = false;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private observedRecord = '';
  private observedAt = 0;
  private lastRenew = 0;
  private knownLeader = '';
  /** When the lease another replica holds expires unless it changes again (0: not known). */
  private othersLeaseEndsAt = 0;
  private cycle: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LeaderElectorOptions) {
    this.o = {
      coordination: opts.coordination,
      identity: opts.identity,
      namespace: opts.namespace ?? LEADER_ELECTION_NAMESPACE,
      name: opts.name ?? LEADER_ELECTION_LEASE,
      leaseDurationMs: opts.leaseDurationMs ?? 15_000,
      renewDeadlineMs: opts.renewDeadlineMs ?? 10_000,
      retryPeriodMs: opts.retryPeriodMs ?? 2_000,
      onStartedLeading: opts.onStartedLeading,
      onStoppedLeading: opts.onStoppedLeading,
    };
    if (!opts.identity) throw new Error('leader election needs a non-empty identity');
    if (this.o.renewDeadlineMs >= this.o.leaseDurationMs) throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
    if (this.o.retryPeriodMs >= this.o.renewDeadlineMs) throw new Error('leader election: retryPeriod must be shorter than renewDeadline');
    this.log = (opts.logger ?? silentLogger()).child({ component: 'leader-election', lease: `${this.o.namespace}/${this.o.name}` });
    this.now = opts.now ?? Date.now;
    const g = opts.registry
      ? gauge(opts.registry, { name: 'vpcrc_leader', help: '1 while this process holds the leader lease', labelNames: ['lease'] })
      : undefined;
    this.setLeaderGauge = (v) => g?.set({ lease: this.o.name }, v);
    this.setLeaderGauge(0);
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** Begin campaigning (returns at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stop campaigning; a leader releases the lease so another replica can take over immediately. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.cycle;
    if (!this.leader) return;
    try {
      const lease = await this.o.coordination.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity === this.o.identity) {
        lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new V1MicroTime(this.now()) };
        await this.o.coordination.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: lease });
      }
    } catch (err) {
      this.log.warn({ err: messageOf(err) }, 'could not release the lease');
    }
    this.loseLeadership('stopped');
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.cycle = this.step();
    }, delayMs);
    this.timer.unref?.();
  }

  private async step(): Promise<void> {
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.log.debug({ err: messageOf(err) }, 'lease update failed');
    }
    const now = this.now();
    if (ok) {
      this.lastRenew = now;
      if (!this.leader) {
        this.leader = true;
        this.setLeaderGauge(1);
        this.log.info({ identity: this.o.identity }, 'became leader');
        this.safe(() => this.o.onStartedLeading());
      }
    } else if (this.leader && now - this.lastRenew >= this.o.renewDeadlineMs) {
      this.log.error({ identity: this.o.identity }, 'could not renew the lease in time; leadership lost');
      this.loseLeadership('renew deadline');
    }
    // Jitter candidates a little (client-go uses factor 1.2) so they don't collide on every try.
    let delay = this.leader ? this.o.retryPeriodMs : this.o.retryPeriodMs * (1 + Math.random() * 0.2);
    // A standby looks again right when the lease it watches runs out rather than up to a retry period
    // later: a crashed leader is replaced one lease duration after its last renewal was seen.
    if (!this.leader && this.othersLeaseEndsAt > 0) delay = Math.min(delay, Math.max(0, this.othersLeaseEndsAt - now) + 10);
    this.schedule(delay);
  }

  private loseLeadership(why: string): void {
    if (!this.leader) return;
    this.leader = false;
    this.setLeaderGauge(0);
    this.log.info({ why }, 'stopped leading');
    this.safe(() => this.o.onStoppedLeading());
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'leader election callback threw');
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const { coordination: api, namespace, name, identity } = this.o;
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      renewTime: new V1MicroTime(now),
    };
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await api.createNamespacedLease({
        namespace,
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: { ...spec, acquireTime: new V1MicroTime(now), leaseTransitions: 0 } },
      });
      this.observe(`${identity}|created`, now);
      this.noteLeader(identity);
      return true;
    }
    const current = lease.spec ?? {};
    const holder = current.holderIdentity ?? '';
    const record = `${holder}|${String(current.renewTime?.getTime?.() ?? '')}|${lease.metadata?.resourceVersion ?? ''}`;
    if (record !== this.observedRecord) this.observe(record, now);
    if (holder) this.noteLeader(holder);
    const durationMs = (current.leaseDurationSeconds ?? Math.ceil(this.o.leaseDurationMs / 1000)) * 1000;
    this.othersLeaseEndsAt = 0;
    if (holder && holder !== identity && this.observedAt + durationMs > now) {
      this.othersLeaseEndsAt = this.observedAt + durationMs;
      return false;
    }
    const next: V1Lease = {
      ...lease,
      spec: {
        ...current,
        ...spec,
        acquireTime: holder === identity && current.acquireTime ? current.acquireTime : new V1MicroTime(now),
        leaseTransitions: holder === identity ? (current.leaseTransitions ?? 0) : (current.leaseTransitions ?? 0) + 1,
      },
    };
    const updated = await api.replaceNamespacedLease({ name, namespace, body: next });
    this.observe(`${identity}|${String(now)}|${updated.metadata?.resourceVersion ?? ''}`, now);
    this.noteLeader(identity);
    return true;
  }

  private observe(record: string, at: number): void {
    this.observedRecord = record;
    this.observedAt = at;
  }

  private noteLeader(identity: string): void {
    if (identity === this.knownLeader) return;
    this.knownLeader = identity;
    this.log.info({ leader: identity }, 'new leader observed');
    try {
      this.opts.onNewLeader?.(identity);
    } catch (err) {
      this.log.error({ err }, 'onNewLeader threw');
    }
  }
}
