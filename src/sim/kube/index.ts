// The local Kubernetes API server: HTTP and HTTPS listeners over one in-memory cluster.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { silentLogger } from '../../observability/logger.js';
import { Admission } from './admission.js';
import { ApiServer, type ListFaults } from './api-server.js';
import { Authenticator, generateTokens, IDENTITIES, type Tokens } from './auth.js';
import type { KubeObject } from './objects.js';
import { Registry } from './registry.js';
import { Storage } from './store.js';
import { generateServingCert, type TlsMaterial } from './tls.js';

export interface LocalKubeOptions {
  port?: number;
  httpsPort?: number;
  host?: string;
  /** Events kept per resource for watches that resume; older resourceVersions get 410 Gone. */
  watchHistorySize?: number;
  logger?: Logger;
  /** Fixed bearer tokens (e.g. to restart a server that existing kubeconfigs still point to). */
  tokens?: Partial<Tokens>;
  /** Serving certificate to reuse (restart with the same CA); generated when absent. */
  tls?: TlsMaterial;
  /** How often watches with allowWatchBookmarks get a BOOKMARK (default 60 s, as kube-apiserver's watch cache sends them about once a minute). */
  bookmarkIntervalMs?: number;
  /** Watch duration when the client gives no timeoutSeconds (default 1800 s, as the real server's minimum). */
  defaultWatchTimeoutSeconds?: number;
}

export interface LocalKube {
  url: string;
  httpsUrl: string;
  caPem: string;
  tokens: Tokens;
  /** The serving certificate, to restart with the same CA. */
  tls: TlsMaterial;
  /** Test-only faults of list requests (e.g. a continue token expiring mid-list: 410). */
  faults: ListFaults;
  /**
   * Benches only: create a pod as the admin identity in-process, through the same admission,
   * validation, defaulting, storage and watch fan-out as a POST, without the HTTP round trip and
   * the client's serialization (which dominate when a bench creates 100,000 pods). `status`, when
   * given, is then merged into the pod's status as a kubelet's status patch would.
   */
  createPodDirect(namespace: string, pod: object, status?: object): Promise<{ metadata: { uid?: string; name?: string } }>;
  /**
   * Tests only: every watch open now goes silent as over a half-open TCP connection (no events, no
   * bookmarks, not even the end of the response); watches opened later work. Returns how many froze.
   */
  freezeWatches(): number;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startLocalKube(opts: LocalKubeOptions = {}): Promise<LocalKube> {
  const logger = (opts.logger ?? silentLogger()).child({ component: 'local-kube' });
  const host = opts.host ?? '127.0.0.1';
  // Start resourceVersions from the clock so that a restarted server never hands out versions a
  // client saw from the previous one: watches resuming from those get 410 and relist.
  const storage = new Storage(opts.watchHistorySize ?? 10_000, Date.now() * 1000);
  const hooks: { source?: Registry['hookSource'] } = {};
  const admission = new Admission((kind) => hooks.source?.(kind) ?? [], logger.child({ component: 'admission' }));
  const registry = new Registry(storage, admission, logger);
  hooks.source = registry.hookSource;
  registry.bootstrap();
  const tokens = generateTokens(opts.tokens);
  const api = new ApiServer(registry, new Authenticator(tokens), logger, {
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
    defaultWatchTimeoutSeconds: opts.defaultWatchTimeoutSeconds ?? 1800,
    maxWatchBufferBytes: 64 * 1024 * 1024,
  });
  const tls = opts.tls ?? generateServingCert();
  const http = createHttpServer({ keepAliveTimeout: 65_000 }, api.handle);
  const https = createHttpsServer({ cert: tls.certPem, key: tls.keyPem, keepAliveTimeout: 65_000 }, api.handle);
  for (const s of [http, https]) {
    s.on('clientError', (err, socket) => {
      logger.debug({ err: err.message }, 'malformed HTTP request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }
  const port = await listen(http, opts.port ?? 0, host);
  let httpsPort: number;
  try {
    httpsPort = await listen(https, opts.httpsPort ?? 0, host);
  } catch (err) {
    await closeServer(http);
    throw err;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  logger.info({ port, httpsPort }, 'local Kubernetes API server listening');
  let closed = false;
  return {
    url: `http://${urlHost}:${port}`,
    httpsUrl: `https://${urlHost}:${httpsPort}`,
    caPem: tls.certPem,
    tokens,
    tls,
    faults: api.faults,
    async createPodDirect(namespace, pod, status) {
      const def = registry.find('', 'v1', 'pods');
      if (!def) throw new Error('pods are not served');
      const user = { username: IDENTITIES.admin.username, groups: [...IDENTITIES.admin.groups] };
      const body = { apiVersion: 'v1', kind: 'Pod', ...(pod as Record<string, unknown>) } as KubeObject;
      const made = await registry.create({ user, warnings: [] }, def, namespace, body);
      if (!status) return made;
      return registry.patch({ user, warnings: [] }, def, namespace, made.metadata.name ?? '', 'status', 'merge', { status });
    },
    freezeWatches: () => api.freezeWatches(),
    async close() {
      if (closed) return;
      closed = true;
      registry.close();
      api.closeWatches();
      await Promise.all([closeServer(http), closeServer(https as unknown as Server)]);
    },
  };
}

export { buildKubeconfigYaml, kubeConfigFor } from './kubeconfig.js';
