// The test-facing knobs of the local EC2: faults, latency, throttle, counters and the
// eventual-consistency delay. Everything here is in-process state read by the server per request.
import { Ec2ErrorResponse, statusForCode } from './errors.js';
import type { BucketSpec, Throttle, ThrottleProfile } from './throttle.js';

export interface FaultSpec {
  /** EC2 error code to answer with, e.g. `InternalError`, `UnauthorizedOperation`. */
  code: string;
  message?: string;
  /** Fail the next N calls of the action (default: unlimited while `rate` applies). */
  count?: number;
  /** Fail each call with this probability (0..1); combined with count, until count is used up. */
  rate?: number;
  /** HTTP status; defaults to EC2's status for the code. */
  status?: number;
}

/** Latency per action in (unscaled) milliseconds; `jitterMs` adds uniform noise. */
export interface LatencySpec {
  ms: number;
  jitterMs?: number;
}

export interface ActionCounters {
  calls: number;
  ok: number;
  throttled: number;
  errors: number; // answered with an error other than throttling (faults included)
  faults: number; // of which injected
  totalLatencyMs: number; // server-side time, latency model included
  maxLatencyMs: number;
}

interface ActiveFault extends FaultSpec {
  remaining: number; // Infinity when no count
}

const ANY = '*';

const zeroCounters = (): ActionCounters => ({ calls: 0, ok: 0, throttled: 0, errors: 0, faults: 0, totalLatencyMs: 0, maxLatencyMs: 0 });

/** Run-time settings shared by the control, the world and the server (delays unscaled, in ms). */
export interface SimSettings {
  timeScale: number;
  attachDelayMs: number;
  consistencyDelayMs: number;
}

export class Ec2Control {
  private readonly faults = new Map<string, ActiveFault[]>();
  private readonly latency = new Map<string, LatencySpec>();
  private readonly counters = new Map<string, ActionCounters>();

  constructor(
    private readonly throttle: Throttle,
    private readonly settings: SimSettings,
    opts: { latency?: Record<string, LatencySpec>; faults?: Record<string, FaultSpec> } = {},
    private readonly random: () => number = Math.random,
  ) {
    for (const [a, l] of Object.entries(opts.latency ?? {})) this.setLatency(a, l);
    for (const [a, f] of Object.entries(opts.faults ?? {})) this.injectFault(a, f);
  }

  // ---- time
  /** Speeds up (>1) or slows down every delay and every bucket refill. */
  setTimeScale(scale: number): void {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new Error('time scale must be a positive number');
    this.settings.timeScale = scale;
    this.throttle.setTimeScale(scale);
  }

  /** How long attachments stay `attaching` (and detachments `detaching`), unscaled ms. */
  setAttachDelay(ms: number): void {
    if (!(ms >= 0)) throw new Error('attach delay must be ≥ 0 ms');
    this.settings.attachDelayMs = ms;
  }

  // ---- faults
  /** Fails calls of `action` (or `*` for every action) as the spec says. Later faults queue behind earlier ones. */
  injectFault(action: string, spec: FaultSpec): void {
    if (!spec.code) throw new Error('fault needs an error code');
    if (spec.rate !== undefined && (spec.rate < 0 || spec.rate > 1)) throw new Error('fault rate must be within 0..1');
    if (spec.count !== undefined && (!Number.isInteger(spec.count) || spec.count < 1)) throw new Error('fault count must be a positive integer');
    const list = this.faults.get(action) ?? [];
    list.push({ ...spec, remaining: spec.count ?? Infinity });
    this.faults.set(action, list);
  }

  clearFaults(action?: string): void {
    if (action === undefined) this.faults.clear();
    else this.faults.delete(action);
  }

  /** The error this call must fail with, if any (consumes one count). */
  takeFault(action: string): Ec2ErrorResponse | undefined {
    return this.takeFrom(action) ?? this.takeFrom(ANY);
  }

  private takeFrom(key: string): Ec2ErrorResponse | undefined {
    const list = this.faults.get(key);
    if (!list || list.length === 0) return undefined;
    const f = list[0] as ActiveFault;
    if (f.rate !== undefined && this.random() >= f.rate) return undefined;
    f.remaining -= 1;
    if (f.remaining <= 0) list.shift();
    if (list.length === 0) this.faults.delete(key);
    return new Ec2ErrorResponse(f.code, f.message ?? `Injected fault: ${f.code}`, f.status ?? statusForCode(f.code));
  }

  // ---- latency
  setLatency(action: string, spec: LatencySpec | undefined): void {
    if (spec === undefined) {
      this.latency.delete(action);
      return;
    }
    if (!(spec.ms >= 0) || (spec.jitterMs !== undefined && !(spec.jitterMs >= 0))) throw new Error('latency must be ≥ 0 ms');
    this.latency.set(action, spec);
  }

  /** Real milliseconds to wait before answering (time scale applied). */
  latencyFor(action: string): number {
    const l = this.latency.get(action) ?? this.latency.get(ANY);
    if (!l) return 0;
    const ms = l.ms + (l.jitterMs ? this.random() * l.jitterMs : 0);
    return ms / this.settings.timeScale;
  }

  // ---- throttle
  setThrottle(profile: ThrottleProfile | 'aws' | 'off'): void {
    this.throttle.setProfile(profile);
  }

  setBucket(key: string, spec: BucketSpec | null | undefined): void {
    this.throttle.setOverride(key, spec);
  }

  bucketTokens(key: string): number {
    return this.throttle.tokens(key);
  }

  // ---- eventual consistency
  /** New ENIs stay invisible to describes for this long (unscaled ms). */
  setConsistencyDelay(ms: number): void {
    if (!(ms >= 0)) throw new Error('consistency delay must be ≥ 0 ms');
    this.settings.consistencyDelayMs = ms;
  }

  // ---- counters
  record(action: string, outcome: 'ok' | 'throttled' | 'error' | 'fault', latencyMs: number): void {
    let c = this.counters.get(action);
    if (!c) {
      c = zeroCounters();
      this.counters.set(action, c);
    }
    c.calls += 1;
    if (outcome === 'ok') c.ok += 1;
    else if (outcome === 'throttled') c.throttled += 1;
    else {
      c.errors += 1;
      if (outcome === 'fault') c.faults += 1;
    }
    c.totalLatencyMs += latencyMs;
    if (latencyMs > c.maxLatencyMs) c.maxLatencyMs = latencyMs;
  }

  /** Counters for one action (zeros if never called). */
  counter(action: string): Readonly<ActionCounters> {
    const c = this.counters.get(action);
    return c ? { ...c } : zeroCounters();
  }

  /** A copy of all counters, by action. */
  counterSnapshot(): Record<string, ActionCounters> {
    const out: Record<string, ActionCounters> = {};
    for (const [a, c] of this.counters) out[a] = { ...c };
    return out;
  }

  resetCounters(): void {
    this.counters.clear();
  }
}
