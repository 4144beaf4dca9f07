// Kubernetes API errors as metav1.Status objects: every failure the local API server returns
// goes through KubeError so that clients (kubectl, client-node) see the shapes they parse.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'KubeError';
  }

  toStatus(): KubeStatus {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `pods "x"` or `securitygrouppolicies.vpcresources.k8s.aws "x"`: how the real server names a resource. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const notFound = (resource: string, group: string, name: string): KubeError =>
  new KubeError(404, 'NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, { name, group, kind: resource });

export const alreadyExists = (resource: string, group: string, name: string): KubeError =>
  new KubeError(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists`, { name, group, kind: resource });

export const conflict = (resource: string, group: string, name: string, why: string): KubeError =>
  new KubeError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`, {
    name,
    group,
    kind: resource,
  });

export const STALE_OBJECT_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

export const invalid = (kind: string, group: string, name: string, causes: StatusCause[]): KubeError => {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? ''))).join(', ');
  const listed = causes.length > 1 ? `[${summary}]` : summary;
  return new KubeError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${listed}`, {
    name,
    group,
    kind,
    causes,
  });
};

/** A field cause in the real server's words: reason FieldValueInvalid / FieldValueRequired / ... */
export const fieldCause = (
  reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueTypeInvalid' | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueDuplicate',
  field: string,
  message: string,
): StatusCause => ({ reason, message, field });

export const badRequest = (message: string): KubeError => new KubeError(400, 'BadRequest', message);

export const unauthorized = (): KubeError => new KubeError(401, 'Unauthorized', 'Unauthorized');

export const forbidden = (message: string, details?: StatusDetails): KubeError => new KubeError(403, 'Forbidden', message, details);

export const methodNotAllowed = (): KubeError => new KubeError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

export const notAcceptable = (message: string): KubeError => new KubeError(406, 'NotAcceptable', message);

export const unsupportedMediaType = (contentType: string, accepted: readonly string[]): KubeError =>
  new KubeError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format${contentType ? ` (${contentType})` : ''} - accepted media types include: ${accepted.join(', ')}`,
  );

export const gone = (message: string): KubeError => new KubeError(410, 'Expired', message);

export const tooLarge = (message: string): KubeError => new KubeError(413, 'RequestEntityTooLarge', message);

export const internalError = (message: string): KubeError =>
  new KubeError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });

export const timeoutError = (message: string, retryAfterSeconds = 1): KubeError =>
  new KubeError(504, 'Timeout', message, { retryAfterSeconds });

export function toKubeError(err: unknown): KubeError {
  if (err instanceof KubeError) return err;
  return internalError(err instanceof Error ? err.message : String(err));
}
