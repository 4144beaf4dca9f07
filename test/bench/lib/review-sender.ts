// Admission reviews at a fixed rate, sent from a process of their own (the API server is another
// process on another machine): the sender's TLS and JSON work then neither queues behind the bench's
// own event loop (the sandbox's API server and EC2 at scale) nor is counted as the controller's
// latency. The child runs `fixedRateReviews` (client-go-like connections) and reports its result.
//
//   const r = await reviewsFromOwnProcess({ baseUrl, rate: 500, seconds: 10, namespace: 'ns-0' });
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fixedRateReviews, type ReviewLoadResult } from './review-load.js';

const SENDER_FLAG = '--review-sender';

export interface SenderOptions {
  baseUrl: string;
  rate: number;
  seconds: number;
  /** Namespace of the reviewed pods (one with a policy: half the reviews are matched). */
  namespace: string;
  ca?: string;
  warmupSeconds?: number;
}

/** A pod create review in `namespace`; half are matched by a policy selecting sg=yes. */
export function podCreateReview(i: number, namespace: string): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `scale-${i}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace,
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin' },
      object: {
        metadata: { name: `review-${i}`, namespace, labels: { sg: i % 4 < 2 ? 'yes' : 'no' } },
        spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '100m' } } }] },
      },
    },
  });
}

function run(opts: SenderOptions): Promise<ReviewLoadResult> {
  return fixedRateReviews({
    baseUrl: opts.baseUrl,
    rate: opts.rate,
    seconds: opts.seconds,
    ...(opts.ca ? { ca: opts.ca } : {}),
    ...(opts.warmupSeconds !== undefined ? { warmupSeconds: opts.warmupSeconds } : {}),
    body: (i) => ({ path: i % 2 === 0 ? '/mutate-v1-pod' : '/validate-v1-pod', json: podCreateReview(i, opts.namespace) }),
  });
}

/** Forks a sender, has it send the reviews, and resolves with what it measured. */
export function reviewsFromOwnProcess(opts: SenderOptions): Promise<ReviewLoadResult & { senderRssMiB: number }> {
  const child = fork(fileURLToPath(import.meta.url), [SENDER_FLAG], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let done = false;
    child.once('message', (m) => {
      done = true;
      const reply = m as { result?: ReviewLoadResult & { senderRssMiB: number }; error?: string };
      if (reply.result) resolve(reply.result);
      else reject(new Error(`review sender failed: ${reply.error ?? 'no result'}`));
    });
    child.once('exit', (code) => {
      if (!done) reject(new Error(`review sender exited (${code ?? 'signal'}) before reporting`));
    });
    child.send(opts);
  });
}

if (process.argv.includes(SENDER_FLAG)) {
  process.once('message', (m) => {
    run(m as SenderOptions).then(
      (result) => process.send?.({ result: { ...result, senderRssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) } }, () => process.exit(0)),
      (err: unknown) => process.send?.({ error: String(err) }, () => process.exit(1)),
    );
  });
}
