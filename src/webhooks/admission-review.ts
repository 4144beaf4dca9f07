// AdmissionReview v1 (admission.k8s.io/v1): the envelope the API server posts to a webhook and
// expects back. Parsing is strict about the envelope (a malformed one is answered with HTTP 400
// naming the problem) and lenient about the object inside, which each handler checks for itself.

import type { JsonPatchOp } from '../kube/patch.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
const OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface AdmissionUserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: AdmissionOperation;
  userInfo: AdmissionUserInfo;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
  options?: unknown;
}

export interface AdmissionStatus {
  code?: number;
  message?: string;
  reason?: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  /** base64 of a JSON Patch (RFC 6902) document */
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

/** A review whose `request` has been checked to exist and be well-formed. */
export type AdmissionReviewRequest = AdmissionReview & { request: AdmissionRequest };

export type ParseResult = { ok: true; review: AdmissionReviewRequest } | { ok: false; message: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks the envelope of an AdmissionReview request body. Never throws. */
export function parseAdmissionReview(body: string): ParseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return { ok: false, message: `request body is not valid JSON: ${(err as Error).message}` };
  }
  if (!isRecord(parsed)) return { ok: false, message: 'request body must be a JSON object (an AdmissionReview)' };
  if (parsed.apiVersion !== ADMISSION_API_VERSION) {
    return {
      ok: false,
      message: `unsupported apiVersion ${JSON.stringify(parsed.apiVersion)}: expected "${ADMISSION_API_VERSION}" (set admissionReviewVersions: [v1])`,
    };
  }
  if (parsed.kind !== ADMISSION_KIND) {
    return { ok: false, message: `unsupported kind ${JSON.stringify(parsed.kind)}: expected "${ADMISSION_KIND}"` };
  }
  const req = parsed.request;
  if (!isRecord(req)) return { ok: false, message: 'AdmissionReview has no request object' };
  if (typeof req.uid !== 'string' || req.uid === '') {
    return { ok: false, message: 'AdmissionReview request.uid is missing or not a non-empty string' };
  }
  if (typeof req.operation !== 'string' || !OPERATIONS.includes(req.operation)) {
    return {
      ok: false,
      message: `AdmissionReview request.operation ${JSON.stringify(req.operation)} is not one of ${OPERATIONS.join(', ')}`,
    };
  }
  if (!isRecord(req.kind) || typeof req.kind.kind !== 'string') {
    return { ok: false, message: 'AdmissionReview request.kind is missing or has no kind' };
  }
  if (req.userInfo !== undefined && !isRecord(req.userInfo)) {
    return { ok: false, message: 'AdmissionReview request.userInfo must be an object' };
  }
  const request: AdmissionRequest = {
    ...(req as unknown as AdmissionRequest),
    kind: { group: str(req.kind.group), version: str(req.kind.version), kind: req.kind.kind },
    resource: isRecord(req.resource)
      ? { group: str(req.resource.group), version: str(req.resource.version), resource: str(req.resource.resource) }
      : { group: '', version: '', resource: '' },
    userInfo: (req.userInfo as AdmissionUserInfo | undefined) ?? {},
  };
  return { ok: true, review: { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, request } };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Thrown by a handler when the object inside a well-formed envelope is unusable: answered with HTTP 400. */
export class BadAdmissionRequest extends Error {
  override readonly name = 'BadAdmissionRequest';
}

/** Requires `request.kind.kind` (and, for core resources, group ""); throws BadAdmissionRequest otherwise. */
export function requireKind(request: AdmissionRequest, kind: string): void {
  if (request.kind.kind !== kind || request.kind.group !== '') {
    const got = request.kind.group ? `${request.kind.group}/${request.kind.kind}` : request.kind.kind;
    throw new BadAdmissionRequest(`this webhook admits core ${kind} objects, got ${got}`);
  }
}

/** Returns `request.object` (or `oldObject`) as a record, or throws BadAdmissionRequest naming the field. */
export function requireObject(request: AdmissionRequest, field: 'object' | 'oldObject'): Record<string, unknown> {
  const value = request[field];
  if (!isRecord(value)) {
    throw new BadAdmissionRequest(`AdmissionReview request.${field} is missing or not an object (operation ${request.operation})`);
  }
  return value;
}

export function allowed(uid: string, extra: { patch?: JsonPatchOp[]; warnings?: string[] } = {}): AdmissionReview {
  const response: AdmissionResponse = { uid, allowed: true };
  if (extra.patch && extra.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(extra.patch), 'utf8').toString('base64');
  }
  if (extra.warnings && extra.warnings.length > 0) response.warnings = extra.warnings;
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}

/** A denial; the API server shows `message` to the user after `admission webhook "<name>" denied the request: `. */
export function denied(uid: string, message: string): AdmissionReview {
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: ADMISSION_KIND,
    response: { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message } },
  };
}

export { isRecord };
