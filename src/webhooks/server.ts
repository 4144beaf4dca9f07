// The HTTPS server the API server calls: AdmissionReview v1 at the three webhook paths, /healthz,
// and nothing else. Moves bytes only; the decisions are in dispatch.ts and the handlers.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  generateSelfSignedCertificate,
  readCertificateFiles,
  watchCertificateFiles,
  type CertificateFiles,
  type CertificateWatcher,
  type SelfSignedOptions,
  type ServingCertificate,
} from './certificates.js';
import { dispatchAdmission, webhookRoutes, type WebhookHandlerDeps } from './dispatch.js';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.js';
import type { ResolvePodSecurityGroups } from './pod-mutator.js';

export type WebhookTlsConfig =
  | ({ mode: 'files'; reloadIntervalMs?: number } & CertificateFiles)
  | ({ mode: 'self-signed' } & SelfSignedOptions);

export interface WebhookServerConfig {
  logger: Logger;
  resolvePodSecurityGroups: ResolvePodSecurityGroups;
  /** Identities allowed to change the pod-eni annotation (default DEFAULT_CONTROLLER_IDENTITIES). */
  controllerIdentities?: readonly string[];
  /** Certificate source; default a self-signed certificate for loopback and the webhook Service names. */
  tls?: WebhookTlsConfig;
  /** Counts admissions here (the controller's registry); default: unregistered metrics. */
  registry?: Registry;
  /** Or pass ready-made metrics (takes precedence over `registry`). */
  metrics?: WebhookMetrics;
  resolverTimeoutMs?: number;
  /** Largest request body accepted (default 3 MiB, the API server's own request limit). */
  maxBodyBytes?: number;
}

export interface ListenOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1; use 0.0.0.0 in a cluster. */
  host?: string;
}

export interface RunningWebhookServer {
  /** Base URL, e.g. https://127.0.0.1:43121 (append a webhook path). */
  url: string;
  port: number;
  /** PEM to trust for this server: the webhook configurations' caBundle. */
  caPem: string;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;
export const HEALTHZ_PATH = '/healthz';
/** Idle keep-alive connections are kept this long (longer than client-go's 90 s idle timeout). */
export const WEBHOOK_KEEP_ALIVE_MS = 120_000;

export async function startWebhookServer(config: WebhookServerConfig, listen: ListenOptions = {}): Promise<RunningWebhookServer> {
  const logger = config.logger.child({ component: 'webhook-server' });
  const metrics = config.metrics ?? createWebhookMetrics(config.registry);
  const tls = config.tls ?? { mode: 'self-signed' };
  const cert: ServingCertificate =
    tls.mode === 'files' ? await readCertificateFiles(tls) : generateSelfSignedCertificate(tls);

  const deps: WebhookHandlerDeps = {
    resolvePodSecurityGroups: config.resolvePodSecurityGroups,
    logger,
    metrics,
    ...(config.controllerIdentities ? { controllerIdentities: config.controllerIdentities } : {}),
    ...(config.resolverTimeoutMs !== undefined ? { resolverTimeoutMs: config.resolverTimeoutMs } : {}),
  };
  const routes = webhookRoutes(deps);
  const maxBody = config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem, minVersion: 'TLSv1.2' }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only reachable on a socket-level failure while answering; the handlers themselves never throw.
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'webhook request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'TLS handshake failed'));
  // Keep idle connections longer than kube-apiserver's webhook client does (client-go: 90 s), so that
  // the client, not the server, ends them. With Node's default of 5 s every connection left idle by a
  // lull was closed and the next burst of reviews paid a TLS handshake each; handshakes (RSA) are
  // the most expensive thing this server does and were the webhooks' p99 at 500 reviews/s.
  server.keepAliveTimeout = WEBHOOK_KEEP_ALIVE_MS;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The API server appends ?timeout=…s to the configured path.
    const path = new URL(req.url ?? '/', 'https://webhook').pathname;
    if (path === HEALTHZ_PATH) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, req.method, 'GET, HEAD');
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const route = routes.get(path);
    if (!route) {
      send(res, 404, { error: `no webhook at ${path}; serving ${[...routes.keys()].join(', ')} and ${HEALTHZ_PATH}` });
      req.resume();
      return;
    }
    if (req.method !== 'POST') return methodNotAllowed(res, req.method, 'POST');
    const body = await readBody(req, maxBody);
    if (body === undefined) {
      send(res, 413, { error: `request body larger than ${maxBody} bytes` }, { connection: 'close' });
      return;
    }
    const result = await dispatchAdmission(route, body, deps);
    send(res, result.statusCode, result.body);
  }

  function methodNotAllowed(res: ServerResponse, method: string | undefined, allow: string): void {
    send(res, 405, { error: `method ${method ?? '?'} not allowed; use ${allow}` }, { allow });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err: err.message }, 'webhook server error'));

  let watcher: CertificateWatcher | undefined;
  let caPem = cert.caPem;
  if (tls.mode === 'files') {
    watcher = watchCertificateFiles(
      tls,
      (next) => {
        server.setSecureContext({ cert: next.certPem, key: next.keyPem, minVersion: 'TLSv1.2' });
        caPem = next.caPem;
        logger.info('webhook certificate reloaded');
      },
      { logger, ...(tls.reloadIntervalMs !== undefined ? { intervalMs: tls.reloadIntervalMs } : {}) },
    );
  }

  const address = server.address() as AddressInfo;
  const host = urlHost(listen.host ?? '127.0.0.1');
  logger.info({ port: address.port, host: listen.host ?? '127.0.0.1' }, 'webhook server listening');
  let closing: Promise<void> | undefined;
  return {
    url: `https://${host}:${address.port}`,
    port: address.port,
    get caPem() {
      return caPem;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        watcher?.stop();
        server.close(() => resolve());
        // The API server keeps connections alive; don't wait for it to hang up.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** The host to put in the URL: a wildcard bind is reached over loopback; IPv6 needs brackets. */
function urlHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '') return '127.0.0.1';
  if (bind === '::') return '[::1]';
  return bind.includes(':') ? `[${bind}]` : bind;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The body as UTF-8, or undefined once it exceeds `max` bytes (the rest is discarded). */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      if (tooBig) return;
      size += chunk.length;
      if (size > max) {
        tooBig = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
