// The webhooks as a part of the controller: the HTTPS server from src/webhooks, with a policy
// resolver backed by the controller's informer caches (SecurityGroupPolicies indexed by namespace,
// ServiceAccounts), and — for the sandbox and development — self-registration of the webhook
// configurations with the server's caBundle.
import { registerWebhooks, startWebhooks, unregisterWebhooks, type FailurePolicy, type PolicySource, type WebhookTlsConfig } from '../webhooks/index.js';
import type { ControllerContext, ControllerPart } from './context.js';
import { SGP_INDEX_NAMESPACE, serviceAccountLabels, type ControllerInformers } from './informers.js';

export interface WebhooksPartOptions {
  /** 0 (default) picks a free port; 9443 in a cluster. */
  port?: number;
  /** Default 127.0.0.1; 0.0.0.0 in a cluster. */
  host?: string;
  /** Serving certificate files (both or neither; neither = self-signed). */
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  /** Create/replace the webhook configurations pointing at this server (sandbox, development). */
  selfRegister: boolean;
  /** Host the API server should dial when registering by URL (default: the bind host, loopback for a wildcard). */
  advertiseHost?: string;
  /** failurePolicy of all three webhooks when self-registering (default Ignore; see docs/webhooks.md). */
  failurePolicy?: FailurePolicy;
  /** Namespaces the mutating webhook never sees (default kube-system). */
  mutatingExcludedNamespaces?: readonly string[];
}

/** The policy source the webhooks resolve against: the controller's caches, never an API call. */
export function informerPolicySource(informers: Pick<ControllerInformers, 'policies' | 'serviceAccounts'>): PolicySource {
  return {
    ready: () => informers.policies.hasSynced() && informers.serviceAccounts.hasSynced(),
    listPolicies: (namespace) => informers.policies.byIndex(SGP_INDEX_NAMESPACE, namespace),
    serviceAccountLabels: (namespace, name) => serviceAccountLabels(informers, namespace, name),
  };
}

function tlsOf(opts: WebhooksPartOptions): WebhookTlsConfig {
  if (opts.certFile && opts.keyFile) return { mode: 'files', certFile: opts.certFile, keyFile: opts.keyFile, ...(opts.caFile ? { caFile: opts.caFile } : {}) };
  if (opts.certFile || opts.keyFile) throw new Error(`webhook certFile and keyFile go together: ${opts.certFile ? 'keyFile' : 'certFile'} is missing`);
  return { mode: 'self-signed' };
}

export async function startWebhooksPart(
  ctx: ControllerContext,
  opts: WebhooksPartOptions,
): Promise<ControllerPart & { url: string; caPem: string }> {
  const logger = ctx.logger.child({ controller: 'webhooks' });
  const host = opts.host ?? '127.0.0.1';
  const webhooks = await startWebhooks({
    logger,
    registry: ctx.registry,
    tls: tlsOf(opts),
    controllerIdentities: ctx.settings.controllerIdentities,
    listen: { port: opts.port ?? 0, host },
    policies: informerPolicySource(ctx.informers),
  });
  const { server } = webhooks;
  const url = opts.advertiseHost ? `https://${advertised(opts.advertiseHost)}:${server.port}` : server.url;
  if (opts.selfRegister) {
    try {
      await registerWebhooks(
        ctx.kube.admission,
        {
          caPem: server.caPem,
          target: { url },
          mutatingFailurePolicy: opts.failurePolicy ?? 'Ignore',
          validatingFailurePolicy: opts.failurePolicy ?? 'Ignore',
          ...(opts.mutatingExcludedNamespaces ? { mutatingExcludedNamespaces: opts.mutatingExcludedNamespaces } : {}),
        },
        logger,
      );
    } catch (err) {
      await webhooks.close();
      throw err;
    }
  }
  logger.info({ url: server.url, selfRegister: opts.selfRegister }, 'webhooks serving');
  let up = true;
  return {
    url: server.url,
    get caPem() {
      return server.caPem;
    },
    ready: () => up,
    async stop() {
      up = false;
      // Self-registered configurations point at this process: remove them so a stopped controller
      // does not leave the API server calling a dead URL (unless another replica registered since).
      if (opts.selfRegister) {
        try {
          await unregisterWebhooks(ctx.kube.admission, { onlyIfUrl: url });
        } catch (err) {
          logger.warn({ err }, 'could not remove the webhook configurations');
        }
      }
      await webhooks.close();
    },
  };
}

function advertised(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
