// How errors appear in the logs. pino's stock `err` serializer copies every enumerable property,
// which for a Kubernetes ApiException is the whole response body as a triple-escaped string
// (3 KB for a 409) and for an AWS SDK error includes the raw response. Operators need the
// Status (code, reason, message) or the EC2 error code and request ID, so those are what we keep.
import { stdSerializers } from 'pino';

export interface SerializedError {
  type: string;
  message: string;
  [key: string]: unknown;
}

/** A Kubernetes Status parsed from an ApiException-like body (a JSON string or an object). */
function kubeStatus(body: unknown): { reason?: string; message?: string; details?: unknown } | undefined {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const s = parsed as { kind?: unknown; reason?: unknown; message?: unknown; details?: unknown };
  if (s.kind !== 'Status' && typeof s.message !== 'string') return undefined;
  return {
    ...(typeof s.reason === 'string' ? { reason: s.reason } : {}),
    ...(typeof s.message === 'string' ? { message: s.message } : {}),
    ...(s.details !== undefined ? { details: s.details } : {}),
  };
}

/**
 * The `err` serializer of every logger: Kubernetes API errors as their Status, AWS SDK errors as
 * their code, HTTP status and request ID, anything else as pino's standard shape (with stack).
 */
export function serializeError(err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const e = err as { name?: unknown; message?: unknown; code?: unknown; body?: unknown; $metadata?: unknown; Code?: unknown };
  const type = typeof e.name === 'string' ? e.name : 'Error';
  // @kubernetes/client-node ApiException: numeric `code` (HTTP status) and the response `body`.
  if (typeof e.code === 'number' && 'body' in e) {
    const status = kubeStatus(e.body);
    return {
      type: 'KubernetesApiError',
      code: e.code,
      ...(status?.reason ? { reason: status.reason } : {}),
      message: status?.message ?? `HTTP ${e.code}`,
      ...(status?.details !== undefined ? { details: status.details } : {}),
    } satisfies SerializedError;
  }
  // AWS SDK v3 service exception: `$metadata` carries the HTTP status and request ID.
  if (typeof e.$metadata === 'object' && e.$metadata !== null) {
    const m = e.$metadata as { httpStatusCode?: unknown; requestId?: unknown; attempts?: unknown };
    return {
      type,
      message: typeof e.message === 'string' ? e.message : type,
      ...(typeof e.Code === 'string' ? { code: e.Code } : {}),
      ...(typeof m.httpStatusCode === 'number' ? { httpStatusCode: m.httpStatusCode } : {}),
      ...(typeof m.requestId === 'string' ? { requestId: m.requestId } : {}),
      ...(typeof m.attempts === 'number' ? { attempts: m.attempts } : {}),
    } satisfies SerializedError;
  }
  return err instanceof Error ? stdSerializers.err(err) : err;
}
