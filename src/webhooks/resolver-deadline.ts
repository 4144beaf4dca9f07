// The webhooks' deadline for a SecurityGroupPolicy lookup: well under the webhook's timeoutSeconds,
// so that a stuck lookup gets the webhook's own answer (admit with a warning, counted) instead of
// the API server timing the call out.

export const DEFAULT_RESOLVER_TIMEOUT_MS = 2_000;

export class ResolverTimeout extends Error {
  override readonly name = 'ResolverTimeout';
}

/** `promise`, or a ResolverTimeout after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ResolverTimeout(`SecurityGroupPolicy lookup timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
