// The one prom-client Registry for a process, and get-or-create helpers so that several
// components (e.g. one work queue per controller) can share a metric family labelled by name
// without racing to register it. Library code never touches prom-client's global registry:
// a Registry is created here and injected, so tests get an isolated one each.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Registry };
export const METRIC_PREFIX = 'vpcrc_';

export interface MetricsRegistryOptions {
  /** Collect Node process metrics (CPU, memory, event-loop lag). Default true. */
  defaultMetrics?: boolean;
}

export function createMetricsRegistry(opts: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}

interface MetricSpec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

function existing<T>(registry: Registry, name: string, ctor: abstract new (...args: never[]) => T): T | undefined {
  const found = registry.getSingleMetric(name);
  if (found === undefined) return undefined;
  if (!(found instanceof ctor)) throw new Error(`metric ${name} already registered with a different type`);
  return found;
}

export function counter<L extends string>(registry: Registry, spec: MetricSpec<L>): Counter<L> {
  return (
    existing<Counter<L>>(registry, spec.name, Counter) ??
    new Counter<L>({ name: spec.name, help: spec.help, labelNames: spec.labelNames ?? [], registers: [registry] })
  );
}

export function gauge<L extends string>(registry: Registry, spec: MetricSpec<L>): Gauge<L> {
  return (
    existing<Gauge<L>>(registry, spec.name, Gauge) ??
    new Gauge<L>({ name: spec.name, help: spec.help, labelNames: spec.labelNames ?? [], registers: [registry] })
  );
}

export function histogram<L extends string>(
  registry: Registry,
  spec: MetricSpec<L> & { buckets?: number[] },
): Histogram<L> {
  return (
    existing<Histogram<L>>(registry, spec.name, Histogram) ??
    new Histogram<L>({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames ?? [],
      buckets: spec.buckets ?? DEFAULT_SECONDS_BUCKETS,
      registers: [registry],
    })
  );
}

/** Seconds buckets spanning a fast API call (5 ms) to a pod kept waiting for minutes. */
export const DEFAULT_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
