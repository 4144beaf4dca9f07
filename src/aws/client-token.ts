// Idempotency tokens for EC2 creates. EC2 accepts a ClientToken (≤ 64 ASCII characters) and returns
// the first call's result for a repeat with the same token and parameters, so a retry after a timeout
// (or a controller restart mid-call) never makes a second ENI. The token is derived from what the call
// is FOR, not from when it runs: e.g. ['branch', cluster, podUid, '0'] or ['trunk', cluster, instanceId, attempt].
//
// Caveat for callers: EC2 keeps honouring a token after the ENI it made is deleted (it returns the
// deleted ENI's ID). When a purpose legitimately needs a NEW interface after a rollback (a trunk
// that failed to attach and was deleted), add a generation to the purpose (e.g. a counter kept in a
// tag or annotation), so the next attempt gets a fresh token.
import { createHash } from 'node:crypto';

export const CLIENT_TOKEN_MAX_LENGTH = 64;

/** sha256 hex (64 chars) of the purpose parts; stable across processes and restarts. */
export function clientToken(purpose: readonly string[]): string {
  if (purpose.length === 0 || purpose.some((p) => typeof p !== 'string' || p.length === 0)) {
    throw new Error(`client token purpose must be non-empty strings, got ${JSON.stringify(purpose)}`);
  }
  // Length-prefix each part so ['ab','c'] and ['a','bc'] differ.
  const h = createHash('sha256');
  for (const p of purpose) h.update(`${p.length}:${p};`);
  return h.digest('hex');
}
