import { Counter, Histogram, type Registry } from 'prom-client';

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
 * Creates the webhook metrics. With a registry they are registered there (the controller passes
 * its one registry); without one they live unregistered, so tests and library defaults need no setup.
 */
export function createWebhookMetrics(registry?: Registry): WebhookMetrics {
  const registers = registry ? [registry] : [];
  return {
    admissions: new Counter({
      name: 'vpcrc_webhook_admissions_total',
      help: 'Admission reviews answered by the webhooks, by webhook and outcome (allowed, patched, denied, bad_request, error)',
      labelNames: ['webhook', 'outcome'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'vpcrc_webhook_admission_duration_seconds',
      help: 'Time to answer one admission review, by webhook',
      labelNames: ['webhook'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5],
      registers,
    }),
    resolverFailures: new Counter({
      name: 'vpcrc_webhook_resolver_failures_total',
      help: 'Pods admitted unpatched because matching SecurityGroupPolicies could not be resolved (the controller backstop reports matched pods that lack the resource)',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}
