// vnode.vpc.k8s.aws at /validate-v1-node: the aws-node service account needs `update`/`patch` on
// Nodes to set two labels, and RBAC cannot narrow that to labels; this webhook does. Any other
// change by aws-node is denied, naming what changed. Updates by anyone else are none of our business.
import type { Logger } from 'pino';
import { AWS_NODE_IDENTITY, AWS_NODE_MUTABLE_LABELS } from '../apis/constants.js';
import {
  allowed,
  denied,
  requireKind,
  requireObject,
  type AdmissionReview,
  type AdmissionReviewRequest,
} from './admission-review.js';
import { changedPaths } from './object-diff.js';

export interface NodeValidatorDeps {
  logger: Logger;
  /** The identity whose node updates are restricted (default AWS_NODE_IDENTITY). */
  restrictedIdentity?: string;
  /** Labels it may change (default AWS_NODE_MUTABLE_LABELS). */
  mutableLabels?: readonly string[];
}

const MAX_PATHS_IN_MESSAGE = 8;

// Bookkeeping the API server (not the client) changes on every write: never the client's doing.
const SERVER_MANAGED_METADATA = new Set(['managedFields', 'resourceVersion', 'selfLink', 'generation']);

export function validateNodeUpdate(review: AdmissionReviewRequest, deps: NodeValidatorDeps): AdmissionReview {
  const { request } = review;
  requireKind(request, 'Node');
  const restricted = deps.restrictedIdentity ?? AWS_NODE_IDENTITY;
  if (request.operation !== 'UPDATE' || request.userInfo.username !== restricted) return allowed(request.uid);

  const mutable = new Set(deps.mutableLabels ?? AWS_NODE_MUTABLE_LABELS);
  const before = requireObject(request, 'oldObject');
  const after = requireObject(request, 'object');
  const changes = changedPaths(before, after, (s) => {
    if (s[0] !== 'metadata') return false;
    if (s.length === 2 && SERVER_MANAGED_METADATA.has(s[1] ?? '')) return true;
    return s.length === 3 && s[1] === 'labels' && mutable.has(s[2] ?? '');
  });
  if (changes.length === 0) return allowed(request.uid);

  const node = request.name ?? '';
  deps.logger.info({ webhook: 'vnode', node, user: restricted, changes }, 'denied: aws-node changed more than its labels');
  const shown = changes.slice(0, MAX_PATHS_IN_MESSAGE).join(', ');
  const more = changes.length > MAX_PATHS_IN_MESSAGE ? ` and ${changes.length - MAX_PATHS_IN_MESSAGE} more` : '';
  const sub = request.subResource ? ` (subresource ${request.subResource})` : '';
  return denied(
    request.uid,
    `${restricted} may change only the labels ${[...mutable].join(' and ')} on a Node; ` +
      `this update of node ${node}${sub} also changes ${shown}${more}`,
  );
}
