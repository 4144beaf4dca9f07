// Checks at start that catch the two set-ups that otherwise fail silently and forever:
//
// - identity: the controller writes the pod-eni annotation, and the validating webhook (this
//   controller's, or the reference's) allows that only for the identities in
//   --controller-identity. Run as anyone else (e.g. a kubeconfig's admin context), its writes are
//   denied and pods stay in ContainerCreating. The API server says who we are: SelfSubjectReview.
// - EC2: credentials found, accepted, and the endpoint reachable. A DryRun DescribeNetworkInterfaces
//   exercises all three without changing or reading anything (EC2 answers DryRunOperation when
//   the call would have succeeded, UnauthorizedOperation when IAM denies it).
//
// Nothing here stops the controller: each problem is logged as a warning that says what is wrong
// and what to do, and the EC2 result feeds the `ec2` condition of /readyz.
import { DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';
import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { toEc2Error } from '../aws/error-classes.js';
import type { Ec2Sender } from '../aws/gateway.js';
import type { Logger } from '../observability/logger.js';
import { explainEc2Failure, explainKubernetesFailure, type ExplainedFailure } from './failure-causes.js';

export interface StartupCheckResult {
  check: 'identity' | 'ec2';
  ok: boolean;
  /** What was found (the user name; "DryRunOperation"). */
  detail: string;
  /** When not ok: the problem and the fix. */
  problem?: string;
  failure?: ExplainedFailure;
}

/** Pure: does this identity match one of the allowed annotation writers? */
export function identityProblem(username: string, groups: readonly string[], allowed: readonly string[]): string | undefined {
  if (allowed.includes(username)) return undefined;
  return (
    `this controller authenticates to Kubernetes as "${username}"${groups.length ? ` (groups ${groups.join(', ')})` : ''}, which is not one of the identities ` +
    `allowed to write the pod-eni annotation (${allowed.join(', ')}): the pod-eni validating webhook will deny its writes and pods that need a branch ENI stay in ContainerCreating. ` +
    `Run it with the ServiceAccount of deploy/ (in the sandbox: --context controller), or allow this identity with --controller-identity ${username}`
  );
}

export async function checkIdentity(kc: KubeConfig, allowed: readonly string[]): Promise<StartupCheckResult> {
  try {
    const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    const username = review.status?.userInfo?.username ?? '';
    const groups = review.status?.userInfo?.groups ?? [];
    const problem = identityProblem(username, groups, allowed);
    return { check: 'identity', ok: problem === undefined, detail: username, ...(problem ? { problem } : {}) };
  } catch (err) {
    const f = explainKubernetesFailure(err);
    return { check: 'identity', ok: false, detail: 'unknown', problem: `cannot tell who this controller is (SelfSubjectReview failed: ${f.message})`, failure: f };
  }
}

export async function checkEc2(client: Ec2Sender): Promise<StartupCheckResult> {
  try {
    await client.send(new DescribeNetworkInterfacesCommand({ DryRun: true, MaxResults: 5 }));
    // Some endpoints ignore DryRun and answer the call: just as good.
    return { check: 'ec2', ok: true, detail: 'answered' };
  } catch (err) {
    if (toEc2Error('DescribeNetworkInterfaces', err).code === 'DryRunOperation') return { check: 'ec2', ok: true, detail: 'DryRunOperation' };
    const f = explainEc2Failure(err, 'DescribeNetworkInterfaces');
    return { check: 'ec2', ok: false, detail: f.cause, problem: f.message, failure: f };
  }
}

/** Runs both checks and logs each result: info when fine, a warning naming the fix when not. */
export async function runStartupChecks(deps: { kubeConfig: KubeConfig; ec2: Ec2Sender; allowedIdentities: readonly string[]; logger: Logger }): Promise<StartupCheckResult[]> {
  const results = await Promise.all([checkIdentity(deps.kubeConfig, deps.allowedIdentities), checkEc2(deps.ec2)]);
  for (const r of results) {
    if (r.ok) deps.logger.info({ check: r.check, detail: r.detail }, 'startup check passed');
    else deps.logger.warn({ check: r.check, detail: r.detail, ...(r.failure ? { cause: r.failure.cause } : {}) }, `startup check failed: ${r.problem ?? r.detail}`);
  }
  return results;
}
