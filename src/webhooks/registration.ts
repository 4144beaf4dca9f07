// The MutatingWebhookConfiguration and ValidatingWebhookConfiguration for our three webhooks:
// built here (pure) and either written as deploy/base/webhooks.yaml or registered by the controller
// itself (create-or-update) with the caBundle of the certificate it serves.
import type {
  AdmissionregistrationV1Api,
  AdmissionregistrationV1WebhookClientConfig,
  V1LabelSelector,
  V1MutatingWebhook,
  V1MutatingWebhookConfiguration,
  V1RuleWithOperations,
  V1ValidatingWebhook,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  WEBHOOK_NAME_MUTATE_POD,
  WEBHOOK_NAME_VALIDATE_NODE,
  WEBHOOK_NAME_VALIDATE_POD,
  WEBHOOK_PATH_MUTATE_POD,
  WEBHOOK_PATH_VALIDATE_NODE,
  WEBHOOK_PATH_VALIDATE_POD,
} from '../apis/constants.js';
import { backoffDelay } from '../kube/backoff.js';
import { isAlreadyExists, isConflict, isNotFound, isTransient, messageOf } from '../kube/errors.js';
import { DEFAULT_WEBHOOK_SERVICE_NAME, DEFAULT_WEBHOOK_SERVICE_NAMESPACE } from './certificates.js';

export const MUTATING_WEBHOOK_CONFIGURATION_NAME = 'vpc-resource-mutating-webhook';
export const VALIDATING_WEBHOOK_CONFIGURATION_NAME = 'vpc-resource-validating-webhook';
/** Label on the controller's own pods; the pod mutating webhook skips them (no self-dependency). */
export const CONTROLLER_APP_LABEL = 'app.kubernetes.io/name';
export const CONTROLLER_APP_NAME = 'vpc-resource-controller';
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export type FailurePolicy = 'Fail' | 'Ignore';

export type WebhookTarget =
  /** Sandbox and development: the API server dials this base URL (https://127.0.0.1:port). */
  | { url: string }
  /** In a cluster: the webhook Service. */
  | { service: { namespace: string; name: string; port?: number } };

export interface WebhookConfigurationOptions {
  /** PEM of the CA that signed the serving certificate (caBundle). */
  caPem: string;
  target: WebhookTarget;
  /** mpod's failurePolicy (default Ignore: see docs/webhooks.md for why, and for the backstop). */
  mutatingFailurePolicy?: FailurePolicy;
  /** vpod's and vnode's failurePolicy (default Ignore). */
  validatingFailurePolicy?: FailurePolicy;
  /** Per-call timeout the API server applies (1–30, default 5). */
  timeoutSeconds?: number;
  /** Namespaces whose pods mpod never sees (default ["kube-system"]). */
  mutatingExcludedNamespaces?: readonly string[];
  /** Extra metadata.annotations on both configurations, e.g. cert-manager's inject-ca-from. */
  annotations?: Record<string, string>;
}

export const DEFAULT_TIMEOUT_SECONDS = 5;
export const DEFAULT_MUTATING_EXCLUDED_NAMESPACES: readonly string[] = ['kube-system'];

export interface WebhookConfigurations {
  mutating: V1MutatingWebhookConfiguration;
  validating: V1ValidatingWebhookConfiguration;
}

const podRule = (operations: string[]): V1RuleWithOperations[] => [
  { apiGroups: [''], apiVersions: ['v1'], operations, resources: ['pods'], scope: 'Namespaced' },
];
// `nodes` only, as the reference: `nodes/status` is left to RBAC (aws-node has no rights on it),
// which spares every kubelet status update a round trip through this webhook.
const nodeRule: V1RuleWithOperations[] = [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['nodes'], scope: 'Cluster' }];

export function buildWebhookConfigurations(opts: WebhookConfigurationOptions): WebhookConfigurations {
  const timeoutSeconds = opts.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 30) {
    throw new Error(`webhook timeoutSeconds must be an integer from 1 to 30, got ${timeoutSeconds}`);
  }
  if (!opts.caPem.trim() && !opts.annotations) {
    throw new Error('webhook caBundle is empty: pass the CA PEM of the serving certificate');
  }
  const caBundle = Buffer.from(opts.caPem, 'utf8').toString('base64');
  const clientConfig = (path: string): AdmissionregistrationV1WebhookClientConfig =>
    'url' in opts.target
      ? { url: `${opts.target.url.replace(/\/+$/, '')}${path}`, caBundle }
      : { service: { namespace: opts.target.service.namespace, name: opts.target.service.name, path, port: opts.target.service.port ?? 443 }, caBundle };
  // A function, not a shared object: each webhook gets its own arrays (no aliasing, no YAML anchors).
  const common = (): Pick<V1ValidatingWebhook, 'admissionReviewVersions' | 'sideEffects' | 'matchPolicy' | 'timeoutSeconds'> => ({
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    matchPolicy: 'Equivalent',
    timeoutSeconds,
  });
  const excluded = [...(opts.mutatingExcludedNamespaces ?? DEFAULT_MUTATING_EXCLUDED_NAMESPACES)];
  const namespaceSelector: V1LabelSelector | undefined =
    excluded.length > 0 ? { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'NotIn', values: excluded }] } : undefined;
  const objectSelector: V1LabelSelector = { matchExpressions: [{ key: CONTROLLER_APP_LABEL, operator: 'NotIn', values: [CONTROLLER_APP_NAME] }] };

  const mpod: V1MutatingWebhook = {
    name: WEBHOOK_NAME_MUTATE_POD,
    clientConfig: clientConfig(WEBHOOK_PATH_MUTATE_POD),
    rules: podRule(['CREATE']),
    failurePolicy: opts.mutatingFailurePolicy ?? 'Ignore',
    reinvocationPolicy: 'Never',
    ...(namespaceSelector ? { namespaceSelector } : {}),
    objectSelector,
    ...common(),
  };
  const validatingPolicy = opts.validatingFailurePolicy ?? 'Ignore';
  const vpod: V1ValidatingWebhook = {
    name: WEBHOOK_NAME_VALIDATE_POD,
    clientConfig: clientConfig(WEBHOOK_PATH_VALIDATE_POD),
    rules: podRule(['CREATE', 'UPDATE']),
    failurePolicy: validatingPolicy,
    ...common(),
  };
  const vnode: V1ValidatingWebhook = {
    name: WEBHOOK_NAME_VALIDATE_NODE,
    clientConfig: clientConfig(WEBHOOK_PATH_VALIDATE_NODE),
    rules: nodeRule,
    failurePolicy: validatingPolicy,
    ...common(),
  };
  const metadata = (name: string): V1MutatingWebhookConfiguration['metadata'] => ({
    name,
    labels: { 'app.kubernetes.io/managed-by': CONTROLLER_APP_NAME, [CONTROLLER_APP_LABEL]: CONTROLLER_APP_NAME },
    ...(opts.annotations ? { annotations: { ...opts.annotations } } : {}),
  });
  return {
    mutating: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: metadata(MUTATING_WEBHOOK_CONFIGURATION_NAME),
      webhooks: [mpod],
    },
    validating: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: metadata(VALIDATING_WEBHOOK_CONFIGURATION_NAME),
      webhooks: [vpod, vnode],
    },
  };
}

/** The in-cluster target for the default Service name (deploy/base/webhooks.yaml). */
export const DEFAULT_SERVICE_TARGET: WebhookTarget = {
  service: { namespace: DEFAULT_WEBHOOK_SERVICE_NAMESPACE, name: DEFAULT_WEBHOOK_SERVICE_NAME, port: 443 },
};

type Kinded<T> = { read(name: string): Promise<T>; create(body: T): Promise<T>; replace(name: string, body: T): Promise<T> };

/**
 * Creates or updates both configurations (self-registration). Safe to call on every start and
 * after a certificate change: an existing configuration is replaced with the new caBundle/target.
 */
/** Transient failures (no answer, 429, 5xx) during registration: tries and backoff (issue 10: one "socket hang up" must not stop the controller). */
export interface RegistrationRetry {
  /** Default 8. */
  attempts?: number;
  /** First delay, doubling, capped at 5 s. Default 250 ms. */
  baseMs?: number;
}

export async function registerWebhooks(
  api: AdmissionregistrationV1Api,
  opts: WebhookConfigurationOptions,
  logger?: Logger,
  retry: RegistrationRetry = {},
): Promise<WebhookConfigurations> {
  const built = buildWebhookConfigurations(opts);
  const mutating: Kinded<V1MutatingWebhookConfiguration> = {
    read: (name) => api.readMutatingWebhookConfiguration({ name }),
    create: (body) => api.createMutatingWebhookConfiguration({ body }),
    replace: (name, body) => api.replaceMutatingWebhookConfiguration({ name, body }),
  };
  const validating: Kinded<V1ValidatingWebhookConfiguration> = {
    read: (name) => api.readValidatingWebhookConfiguration({ name }),
    create: (body) => api.createValidatingWebhookConfiguration({ body }),
    replace: (name, body) => api.replaceValidatingWebhookConfiguration({ name, body }),
  };
  await createOrReplace(mutating, built.mutating, logger, retry);
  await createOrReplace(validating, built.validating, logger, retry);
  return built;
}

async function createOrReplace<T extends { metadata?: { name?: string; resourceVersion?: string } }>(
  api: Kinded<T>,
  desired: T,
  logger: Logger | undefined,
  retry: RegistrationRetry,
): Promise<void> {
  const name = desired.metadata?.name ?? '';
  const maxTransient = retry.attempts ?? 8;
  let transient = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      let existing: T | undefined;
      try {
        existing = await api.read(name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (existing === undefined) {
        await api.create(desired);
        logger?.info({ configuration: name }, 'webhook configuration created');
      } else {
        const body = { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion } };
        await api.replace(name, body);
        logger?.info({ configuration: name }, 'webhook configuration updated');
      }
      return;
    } catch (err) {
      // Another replica registered at the same moment: read again and retry.
      if ((isConflict(err) || isAlreadyExists(err)) && attempt < 5) continue;
      // The API server did not answer or was overloaded: wait and try again, a few times.
      if (isTransient(err) && ++transient < maxTransient) {
        const delayMs = backoffDelay(transient, { baseMs: retry.baseMs ?? 250, maxMs: 5_000, jitter: 0.2 });
        logger?.warn({ configuration: name, err: messageOf(err), attempt: transient, delayMs }, 'webhook registration failed transiently; retrying');
        await new Promise((r) => setTimeout(r, delayMs));
        continue;
      }
      throw new Error(`cannot register webhook configuration ${name}: ${messageOf(err)}`);
    }
  }
}

/**
 * Deletes both configurations (sandbox teardown); already gone counts as done. With `onlyIfUrl`,
 * only when the mutating configuration still sends to that URL: with two self-registering
 * replicas the last one to start owns the configurations, and a replica stopping must not remove
 * what now points at the other.
 */
export async function unregisterWebhooks(api: AdmissionregistrationV1Api, opts: { onlyIfUrl?: string } = {}): Promise<void> {
  if (opts.onlyIfUrl !== undefined) {
    try {
      const current = await api.readMutatingWebhookConfiguration({ name: MUTATING_WEBHOOK_CONFIGURATION_NAME });
      const urls = (current.webhooks ?? []).map((w) => w.clientConfig.url);
      const base = `${opts.onlyIfUrl.replace(/\/+$/, '')}/`;
      if (!urls.some((u) => u?.startsWith(base))) return;
    } catch (err) {
      if (isNotFound(err)) return;
      throw new Error(`cannot read webhook configuration: ${messageOf(err)}`);
    }
  }
  for (const del of [
    () => api.deleteMutatingWebhookConfiguration({ name: MUTATING_WEBHOOK_CONFIGURATION_NAME }),
    () => api.deleteValidatingWebhookConfiguration({ name: VALIDATING_WEBHOOK_CONFIGURATION_NAME }),
  ]) {
    try {
      await del();
    } catch (err) {
      if (!isNotFound(err)) throw new Error(`cannot delete webhook configuration: ${messageOf(err)}`);
    }
  }
}
