// The result every parse* function returns: the typed value, or every problem found, each
// naming the field (`spec.securityGroups.groupIds[1]: ...`) so it can go straight into an
// event, an admission denial or a log line.
import type { ZodError, ZodIssue } from 'zod';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Render a field path the way kubectl users read it: `spec.features[0].name`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(root)' : out;
}

function describeIssue(issue: ZodIssue): string {
  // zod's own wording ("Required", "Expected string, received number") is replaced by ours;
  // a message the schema set on purpose is kept.
  const isDefault = issue.message === 'Required' || issue.message.startsWith('Expected ');
  if (issue.code === 'invalid_type' && isDefault) {
    if (issue.received === 'undefined') return 'is required';
    return `must be ${article(issue.expected)} (got ${issue.received})`;
  }
  return issue.message;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** Every zod issue as `<field>: <problem>`, in the order zod found them, without duplicates. */
export function zodErrors(error: ZodError): string[] {
  return [...new Set(error.issues.map((issue) => `${formatPath(issue.path)}: ${describeIssue(issue)}`))];
}

/** `kind` and `apiVersion` checked only when present (informer objects may lack them). */
export function typeMetaErrors(value: { kind?: string | undefined; apiVersion?: string | undefined }, kind: string, apiVersion: string): string[] {
  const errors: string[] = [];
  if (value.kind !== undefined && value.kind !== kind) errors.push(`kind: must be ${kind} (got ${value.kind})`);
  if (value.apiVersion !== undefined && value.apiVersion !== apiVersion) errors.push(`apiVersion: must be ${apiVersion} (got ${value.apiVersion})`);
  return errors;
}
