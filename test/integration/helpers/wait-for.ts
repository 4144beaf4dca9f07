// Poll until a condition holds, with a deadline; the error says what was awaited and the last
// value or error seen, so a failing integration test explains itself.
export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is awaited, for the timeout message. */
  what?: string;
}

/**
 * Calls `fn` until it returns a value other than undefined/false/null (returned), or throws the
 * last error / a timeout error after `timeoutMs` (default 10 s).
 */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitForOptions = {}): Promise<Exclude<T, false | null | undefined>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let lastErr: unknown;
  for (;;) {
    try {
      last = await fn();
      lastErr = undefined;
      if (last !== undefined && last !== false && last !== null) return last as Exclude<T, false | null | undefined>;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastErr !== undefined ? `last error: ${lastErr instanceof Error ? lastErr.message : JSON.stringify(lastErr)}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'} (${detail})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
