// HTTP endpoints for operators and kubelet probes: `/metrics` (Prometheus text from the injected
// registry), `/healthz` (liveness: the process answers) and `/readyz` (readiness: every registered
// check passes, e.g. informers synced, webhooks serving; conditions such as EC2 reachability are
// listed without deciding it). Port 0 picks a free port,
// which tests use; `address()` reports what was bound.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';

/** A readiness check: resolve true/false, or throw (counted as not ready, with the message shown). */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface HealthServerOptions {
  registry: Registry;
  logger: Logger;
  /** Host to bind; default 0.0.0.0 (probes come from the kubelet). */
  host?: string;
  /** Port; 0 = ephemeral. */
  port: number;
}

/**
 * A condition shown by /readyz that does not decide readiness: undefined when fine, else the problem.
 * For what an operator must see but what must not take the pod out of its Service (e.g. EC2
 * unreachable: admission still works and is what readiness is about).
 */
export type ReportedCondition = () => string | undefined;

export interface HealthServer {
  /** Register or replace a named readiness check. */
  addReadinessCheck(name: string, check: ReadinessCheck): void;
  /** Register or replace a named condition that /readyz reports without failing on it. */
  addCondition(name: string, condition: ReportedCondition): void;
  removeReadinessCheck(name: string): void;
  /** Runs all checks; `ready` is true only when all pass. */
  readiness(): Promise<{ ready: boolean; checks: Record<string, string> }>;
  address(): { host: string; port: number; url: string };
  close(): Promise<void>;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const checks = new Map<string, ReadinessCheck>();
  const conditions = new Map<string, ReportedCondition>();
  const log = opts.logger.child({ component: 'health-server' });

  async function readiness(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const results: Record<string, string> = {};
    let ready = true;
    for (const [name, check] of checks) {
      try {
        const ok = await check();
        results[name] = ok ? 'ok' : 'not ready';
        if (!ok) ready = false;
      } catch (err) {
        results[name] = `error: ${err instanceof Error ? err.message : String(err)}`;
        ready = false;
      }
    }
    return { ready, checks: results };
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const handle = async (): Promise<void> => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed\n');
        return;
      }
      if (path === '/metrics') {
        const body = await opts.registry.metrics();
        res.writeHead(200, { 'content-type': opts.registry.contentType }).end(body);
      } else if (path === '/healthz' || path === '/livez') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/readyz') {
        const r = await readiness();
        const lines = Object.entries(r.checks).map(([n, s]) => `[${s === 'ok' ? '+' : '-'}]${n} ${s}`);
        for (const [n, condition] of conditions) {
          const problem = condition();
          lines.push(problem === undefined ? `[+]${n} ok` : `[-]${n} failing (reported, not required for readiness): ${problem}`);
        }
        lines.push(r.ready ? 'readyz check passed' : 'readyz check failed');
        res.writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(lines.join('\n') + '\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    };
    handle().catch((err: unknown) => {
      log.error({ err, path }, 'health endpoint failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });

  const host = opts.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  log.info({ host, port: bound.port }, 'health server listening');

  return {
    addReadinessCheck: (name, check) => void checks.set(name, check),
    addCondition: (name, condition) => void conditions.set(name, condition),
    removeReadinessCheck: (name) => void checks.delete(name),
    readiness,
    address: () => {
      const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      return { host: h, port: bound.port, url: `http://${h}:${bound.port}` };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
