// Admission reviews at a fixed rate (an open loop, as an API server sends them: the next review does
// not wait for the previous answer), over TLS with keep-alive. Latency is measured from the moment
// each review was due, so a server that falls behind shows it instead of slowing the sender down.
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
}): Promise<ReviewLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ...(opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }) });
  const total = Math.round(opts.rate * opts.seconds);
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
          latencies.push(performance.now() - due);
          resolve();
        });
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
  lags.sort((a, b) => a - b);
  return {
    rate: opts.rate,
    seconds: opts.seconds,
    sent: total,
    failures,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: Number((latencies[latencies.length - 1] ?? 0).toFixed(3)),
    sendLagP99Ms: percentile(lags, 99),
  };
}
