import type { Counter, Histogram } from 'prom-client';
import { Registry, counter, histogram, METRIC_PREFIX } from '../observability/metrics.js';

/** Outcome label of `vpcrc_webhook_admissions_total`. */
export type AdmissionOutcome = 'allowed' | 'patched' | 'denied' | 'bad_request' | 'error';

export interface WebhookMetrics {
  /** Admission reviews answered, by webhook name and outcome. */
  admissions: Counter<'webhook' | 'outcome'>;
  /** Time to answer one admission review, by webhook name. */
  duration: Histogram<'webhook'>;
  /**
   * Pods admitted without the pod-eni check because the SecurityGroupPolicy resolver failed
   * (cache not synced, API error, timeout). The controller's backstop reports any such pod that
   * did match a policy; this counter says how often the webhook had to lean on it.
   */
  resolverFailures: Counter<'reason'>;
}

/**
 * The webhook metrics in `registry` (the process's one registry; get-or-create, so a restarted
 * server in the same process shares them). Without one, in a private registry: tests and library
 * defaults need no setup.
 */
export function createWebhookMetrics(registry: Registry = new Registry()): WebhookMetrics {
  return {
    admissions: counter(registry, {
      name: `${METRIC_PREFIX}webhook_admissions_total`,
      help: 'Admission reviews answered by the webhooks, by webhook and outcome (allowed, patched, denied, bad_request, error)',
      labelNames: ['webhook', 'outcome'] as const,
    }),
    duration: histogram(registry, {
      name: `${METRIC_PREFIX}webhook_admission_duration_seconds`,
      help: 'Time to answer one admission review, by webhook',
      labelNames: ['webhook'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5],
    }),
    resolverFailures: counter(registry, {
      name: `${METRIC_PREFIX}webhook_resolver_failures_total`,
      help: 'Pods admitted unpatched because matching SecurityGroupPolicies could not be resolved (the controller backstop reports matched pods that lack the resource)',
      labelNames: ['reason'] as const,
    }),
  };
}
