// Reading errors from @kubernetes/client-node 1.4: API calls reject with `ApiException`
// (`code` = HTTP status, `body` = the response body as a STRING, usually a JSON `Status`);
// watches reject with an Error carrying `statusCode`. These helpers accept either.
import { ApiException } from '@kubernetes/client-node';

/** HTTP status of a failed Kubernetes call, or undefined for network errors and non-API errors. */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; statusCode?: unknown };
    if (typeof e.statusCode === 'number') return e.statusCode;
    // ApiException from a second copy of the library (or a plain object in tests) carries `code` + `body`.
    if (typeof e.code === 'number' && 'body' in e) return e.code;
  }
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusOf(err) === 409;
export const isAlreadyExists = (err: unknown): boolean => statusOf(err) === 409 && reasonOf(err) === 'AlreadyExists';

/**
 * Worth retrying as it is: no HTTP answer at all (socket hang up, ECONNRESET, timeout) or an
 * overloaded/unavailable server (429, 500, 502, 503, 504).
 */
export function isTransient(err: unknown): boolean {
  const code = statusOf(err);
  return code === undefined ? err instanceof Error : code === 429 || code === 500 || code === 502 || code === 503 || code === 504;
}

/** The Status `reason` (e.g. AlreadyExists, Conflict, NotFound) parsed from the string body, if any. */
export function reasonOf(err: unknown): string | undefined {
  return statusBody(err)?.reason;
}

/** A short human message: the Status message when the body has one, else the error's own message. */
export function messageOf(err: unknown): string {
  const body = statusBody(err);
  if (body?.message) return body.message;
  const code = statusOf(err);
  const msg = err instanceof Error ? (err.message.split("\n")[0] ?? err.message) : String(err);
  return code !== undefined ? `HTTP ${code}: ${msg}` : msg;
}

function statusBody(err: unknown): { reason?: string; message?: string } | undefined {
  if (typeof err !== 'object' || err === null || !('body' in err)) return undefined;
  const raw = (err).body;
  let parsed: unknown = raw;
  if (typeof raw === 'string') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const p = parsed as { reason?: unknown; message?: unknown };
  return {
    ...(typeof p.reason === 'string' ? { reason: p.reason } : {}),
    ...(typeof p.message === 'string' ? { message: p.message } : {}),
  };
}
