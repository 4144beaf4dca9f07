// Retries an EC2 call that was throttled or hit a server error, with jittered exponential backoff,
// until a deadline. The SDK's own retries stop early when many calls are throttled at once (its
// retry quota drains), which is exactly the situation of hundreds of nodes joining together.

const RETRYABLE = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'InternalError', 'Unavailable', 'ServiceUnavailable']);

export function isRetryableEc2Error(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const code = e?.Code ?? e?.name ?? '';
  return RETRYABLE.has(code) || (e?.$metadata?.httpStatusCode ?? 0) >= 500;
}

export async function retryEc2<T>(call: () => Promise<T>, opts: { deadlineMs?: number; baseMs?: number; maxMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.deadlineMs ?? 120_000);
  let delay = opts.baseMs ?? 100;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!isRetryableEc2Error(err) || Date.now() + delay > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * delay));
      delay = Math.min(delay * 2, opts.maxMs ?? 5_000);
    }
  }
}
