// The webhooks' public face: what the controller command and the sandbox call. One call serves the
// three webhooks and registers them; the pieces stay importable on their own.
import type { AdmissionregistrationV1Api } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { createPolicyResolver, type PolicySource } from './policy-resolver.js';
import { registerWebhooks, unregisterWebhooks, type WebhookConfigurationOptions, type WebhookTarget } from './registration.js';
import { startWebhookServer, type ListenOptions, type RunningWebhookServer, type WebhookServerConfig, type WebhookTlsConfig } from './server.js';

export { createPolicyResolver, type PolicySource } from './policy-resolver.js';
export { buildWebhookConfigurations, registerWebhooks, unregisterWebhooks, DEFAULT_SERVICE_TARGET } from './registration.js';
export type { WebhookConfigurationOptions, WebhookTarget, FailurePolicy } from './registration.js';
export { startWebhookServer } from './server.js';
export type { RunningWebhookServer, WebhookServerConfig, WebhookTlsConfig, ListenOptions } from './server.js';
export { createWebhookMetrics, type WebhookMetrics } from './metrics.js';

export interface WebhookFlags {
  webhookCertFile?: string;
  webhookKeyFile?: string;
  webhookCaFile?: string;
}

/**
 * TLS configuration from the CLI flags `--webhook-cert-file`, `--webhook-key-file` (and optional
 * `--webhook-ca-file`): both files, or neither (then a self-signed certificate). Half a pair is a
 * usage error naming the missing flag.
 */
export function webhookTlsFromFlags(flags: WebhookFlags): WebhookTlsConfig {
  const { webhookCertFile: certFile, webhookKeyFile: keyFile, webhookCaFile: caFile } = flags;
  if (certFile && keyFile) return { mode: 'files', certFile, keyFile, ...(caFile ? { caFile } : {}) };
  if (certFile || keyFile) {
    throw new Error(`--webhook-cert-file and --webhook-key-file go together: ${certFile ? '--webhook-key-file' : '--webhook-cert-file'} is missing`);
  }
  if (caFile) throw new Error('--webhook-ca-file needs --webhook-cert-file and --webhook-key-file');
  return { mode: 'self-signed' };
}

export interface StartWebhooksOptions extends Omit<WebhookServerConfig, 'resolvePodSecurityGroups' | 'logger'> {
  logger: Logger;
  /** Where SecurityGroupPolicies and ServiceAccount labels come from (the controller's caches). */
  policies: PolicySource;
  listen?: ListenOptions;
  /**
   * Self-registration: the admission API and options (the target defaults to the server's own URL,
   * right for the sandbox; pass a Service target in a cluster). Omit to leave registration to
   * deploy/base/webhooks.yaml.
   */
  register?: { api: AdmissionregistrationV1Api; target?: WebhookTarget } & Omit<WebhookConfigurationOptions, 'caPem' | 'target'>;
}

export interface RunningWebhooks {
  server: RunningWebhookServer;
  /** Stops serving; with `unregister`, also deletes the configurations first (sandbox teardown). */
  close(opts?: { unregister?: boolean }): Promise<void>;
}

/** Serves the three webhooks and, when asked, registers them with the server's caBundle. */
export async function startWebhooks(opts: StartWebhooksOptions): Promise<RunningWebhooks> {
  const { policies, listen, register, ...config } = opts;
  const server = await startWebhookServer({ ...config, resolvePodSecurityGroups: createPolicyResolver(policies) }, listen);
  if (register) {
    const { api, target, ...options } = register;
    try {
      await registerWebhooks(api, { ...options, caPem: server.caPem, target: target ?? { url: server.url } }, opts.logger);
    } catch (err) {
      await server.close();
      throw err;
    }
  }
  return {
    server,
    async close(closeOpts = {}) {
      if (closeOpts.unregister && register) await unregisterWebhooks(register.api);
      await server.close();
    },
  };
}
