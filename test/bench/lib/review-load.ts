// Admission reviews at a fixed rate (an open loop, as an API server sends them: the next review does
// not wait for the previous answer), over TLS with keep-alive. Latency is measured from the moment
// each review was due, so a server that falls behind shows it instead of slowing the sender down.
//
// Connections as kube-apiserver's webhook client keeps them against an HTTP/1.1 server (client-go's
// transport: keep-alive, at most 25 idle connections per host kept; a review that finds no idle
// connection dials a new one, TLS handshake included). Go's transport hands the review whichever
// comes first, the new connection or one released meanwhile, which keeps a burst from dialing one
// connection per review; Node's Agent cannot do that, so open connections are capped at 64 instead
// (without a cap one slow second made every review dial, and the handshakes fed the slowness).
import { Agent, request } from 'node:https';

export interface ReviewLoadResult {
  rate: number;
  seconds: number;
  sent: number;
  failures: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How late (ms, p99) the sender itself was in sending reviews: a busy client, not the server. */
  sendLagP99Ms: number;
  /** Connections (so TLS handshakes) the sender opened. */
  connections: number;
  /** Reviews sent before this many seconds were not counted: the API server's connections are long warm. */
  warmupSeconds: number;
  /** p99 (ms) of the warm-up reviews alone (every one of them opening connections). */
  warmupP99Ms: number;
  /** Counted reviews slower than 10 ms, by second of the run they were due in. */
  slowBySecond: Record<string, number>;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Number((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0).toFixed(3));
}

/**
 * Sends `rate` reviews a second for `seconds` to `baseUrl` + path; `body(i)` gives (path, JSON) of
 * the i-th review. `ca` undefined accepts the server's self-signed certificate.
 */
export async function fixedRateReviews(opts: {
  baseUrl: string;
  rate: number;
  seconds: number;
  body: (i: number) => { path: string; json: string };
  ca?: string;
  /** Seconds of reviews sent first and not counted (default 2). */
  warmupSeconds?: number;
}): Promise<ReviewLoadResult> {
  const warmup = opts.warmupSeconds ?? 2;
  const warmupCount = Math.round(opts.rate * warmup);
  const warmLatencies: number[] = [];
  const slowBySecond: Record<string, number> = {};
  const agent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 25, ...(opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }) });
  const sockets = new WeakSet<object>();
  let connections = 0;
  const total = Math.round(opts.rate * (opts.seconds + warmup));
  const latencies: number[] = [];
  const lags: number[] = [];
  let failures = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const one = (i: number, due: number): Promise<void> =>
    new Promise((resolve) => {
      const { path, json } = opts.body(i);
      lags.push(performance.now() - due);
      const req = request(`${opts.baseUrl}${path}?timeout=5s`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) failures++;
          const ms = performance.now() - due;
          if (i < warmupCount) warmLatencies.push(ms);
          else {
            latencies.push(ms);
            if (ms > 10) {
              const sec = String(Math.floor((due - start) / 1000));
              slowBySecond[sec] = (slowBySecond[sec] ?? 0) + 1;
            }
          }
          resolve();
        });
      });
      req.on('socket', (s) => {
        if (!sockets.has(s)) {
          sockets.add(s);
          connections++;
        }
      });
      req.on('error', () => {
        failures++;
        resolve();
      });
      req.end(json);
    });
  let next = 0;
  while (next < total) {
    const now = performance.now();
    // Everything due by now goes out now; then sleep until the next one is due.
    while (next < total && start + (next * 1000) / opts.rate <= now) {
      inFlight.push(one(next, start + (next * 1000) / opts.rate));
      next++;
    }
    const wait = start + (next * 1000) / opts.rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.max(1, Math.floor(wait))));
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  warmLatencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  return {
    rate: opts.rate,
    seconds: opts.seconds,
    sent: total - warmupCount,
    failures,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: Number((latencies[latencies.length - 1] ?? 0).toFixed(3)),
    sendLagP99Ms: percentile(lags, 99),
    connections,
    warmupSeconds: warmup,
    warmupP99Ms: percentile(warmLatencies, 99),
    slowBySecond,
  };
}
