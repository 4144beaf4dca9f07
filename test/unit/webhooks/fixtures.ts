// Builders for AdmissionReviews and a strict RFC 6902 applier, so tests check what a patch does to
// a pod (as the API server would apply it), not just its text.
import type { AdmissionOperation, AdmissionReview, AdmissionReviewRequest } from '../../../src/webhooks/admission-review.js';
import type { JsonPatchOp } from '../../../src/kube/patch.js';

let seq = 0;

export function podReview(opts: {
  operation?: AdmissionOperation;
  user?: string;
  object?: unknown;
  oldObject?: unknown;
  namespace?: string;
  name?: string;
}): AdmissionReviewRequest {
  seq += 1;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${seq}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: opts.name ?? 'web',
      namespace: opts.namespace ?? 'shop',
      operation: opts.operation ?? 'CREATE',
      userInfo: { username: opts.user ?? 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      ...(opts.object !== undefined ? { object: opts.object } : {}),
      ...(opts.oldObject !== undefined ? { oldObject: opts.oldObject } : {}),
    },
  };
}

export function nodeReview(opts: { user: string; oldObject: unknown; object: unknown; operation?: AdmissionOperation; subResource?: string }): AdmissionReviewRequest {
  seq += 1;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${seq}`,
      kind: { group: '', version: 'v1', kind: 'Node' },
      resource: { group: '', version: 'v1', resource: 'nodes' },
      name: 'ip-10-0-1-23.ec2.internal',
      operation: opts.operation ?? 'UPDATE',
      userInfo: { username: opts.user },
      object: opts.object,
      oldObject: opts.oldObject,
      ...(opts.subResource ? { subResource: opts.subResource } : {}),
    },
  };
}

export function pod(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' }, ...metadata }, spec };
}

export function decodePatch(review: AdmissionReview): JsonPatchOp[] | undefined {
  const patch = review.response?.patch;
  if (patch === undefined) return undefined;
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as JsonPatchOp[];
}

const unescape = (t: string): string => t.replace(/~1/g, '/').replace(/~0/g, '~');

/** Applies `add` operations like the API server would: the parent must exist, else it throws. */
export function applyPatch<T>(doc: T, ops: JsonPatchOp[]): T {
  const copy = structuredClone(doc) as unknown;
  for (const op of ops) {
    if (op.op !== 'add') throw new Error(`unsupported op ${op.op}`);
    const tokens = op.path.split('/').slice(1).map(unescape);
    const last = tokens.pop();
    if (last === undefined) throw new Error('cannot add at the root');
    let parent: unknown = copy;
    for (const t of tokens) {
      if (typeof parent !== 'object' || parent === null) throw new Error(`path ${op.path}: missing parent at ${t}`);
      parent = (parent as Record<string, unknown>)[t];
    }
    if (typeof parent !== 'object' || parent === null) throw new Error(`path ${op.path}: parent does not exist`);
    if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
    else (parent as Record<string, unknown>)[last] = op.value;
  }
  return copy as T;
}
