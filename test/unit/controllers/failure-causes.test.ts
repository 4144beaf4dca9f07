import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { Ec2Error, toEc2Error } from '../../../src/aws/error-classes.js';
import { Ec2Condition } from '../../../src/controllers/ec2-condition.js';
import { explainFailure } from '../../../src/controllers/failure-causes.js';
import { reportingNodeFailures } from '../../../src/controllers/node/node-failures.js';
import { identityProblem } from '../../../src/controllers/startup-checks.js';
import { Outcome, type ReconcileContext } from '../../../src/kube/work-queue.js';
import { silentLogger } from '../../../src/observability/logger.js';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
const noCreds = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });

describe('explainFailure', () => {
  it.each([
    [toEc2Error('DescribeInstances', refused), 'ec2-unreachable', ['EC2 endpoint unreachable', 'ECONNREFUSED', '--ec2-endpoint']],
    [toEc2Error('DescribeInstances', noCreds), 'aws-credentials-missing', ['no AWS credentials', 'IRSA', 'AWS_ACCESS_KEY_ID']],
    [new Ec2Error({ action: 'DescribeInstances', code: 'AuthFailure', class: 'unauthorized', message: 'AWS was not able to validate the provided access credentials' }), 'aws-credentials-rejected', ['rejected']],
    [new Ec2Error({ action: 'CreateNetworkInterface', code: 'UnauthorizedOperation', class: 'unauthorized', message: 'You are not authorized' }), 'iam-denied', ['ec2:CreateNetworkInterface', 'deploy/iam-policy.json']],
    [new Ec2Error({ action: 'DescribeInstances', code: 'RequestLimitExceeded', class: 'throttled', message: 'Request limit exceeded.' }), 'ec2-throttled', ['throttled']],
    [new ApiException(403, 'Forbidden', JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'nodes "n" is forbidden: User "x" cannot patch resource "nodes"' }), {}), 'kubernetes-forbidden', ['cannot patch resource "nodes"', 'ClusterRole']],
    [new ApiException(500, 'Internal', JSON.stringify({ kind: 'Status', reason: 'InternalError', message: 'etcd down' }), {}), 'kubernetes-error', ['500 InternalError: etcd down']],
    [new Error('something else\nwith a stack'), 'error', ['something else']],
  ])('%s → %s, naming cause and fix', (err, cause, parts) => {
    const f = explainFailure(err);
    expect(f.cause).toBe(cause);
    for (const p of parts) expect(f.message).toContain(p);
    expect(f.message).not.toContain('\n');
  });
});

describe('reportingNodeFailures', () => {
  const node = { metadata: { name: 'n1', uid: 'u1' } };
  const setup = () => {
    const warnings: string[] = [];
    const states: string[] = [];
    let fail = true;
    const wrapped = reportingNodeFailures(() => (fail ? Promise.reject(toEc2Error('DescribeInstances', refused)) : Promise.resolve(Outcome.done())), {
      events: { warning: (_t, reason, message) => void warnings.push(`${reason}: ${message}`) },
      node: () => node,
      markFailed: (n) => void states.push(`failed ${n}`),
      clearFailed: (n) => void states.push(`cleared ${n}`),
    });
    const rc = (failures: number): ReconcileContext => ({ failures, logger: silentLogger() });
    return { wrapped, warnings, states, rc, succeed: () => (fail = false) };
  };

  it('stays quiet for the first two failures, then warns on every failure with a stable message, and clears on success', async () => {
    const t = setup();
    await expect(t.wrapped('n1', t.rc(0))).rejects.toThrow();
    await expect(t.wrapped('n1', t.rc(1))).rejects.toThrow();
    expect(t.warnings).toEqual([]);
    await expect(t.wrapped('n1', t.rc(2))).rejects.toThrow();
    await expect(t.wrapped('n1', t.rc(3))).rejects.toThrow();
    expect(t.warnings).toHaveLength(2);
    expect(t.warnings[0]).toBe(t.warnings[1]);
    expect(t.warnings[0]).toMatch(/^NodeTrunkFailedInit: Failed to set up the node's trunk interface: EC2 endpoint unreachable/);
    expect(t.states).toEqual(['failed n1', 'failed n1']);
    t.succeed();
    await t.wrapped('n1', t.rc(4));
    expect(t.states.at(-1)).toBe('cleared n1');
  });
});

describe('Ec2Condition', () => {
  it('fails on connection and credential problems, clears on any answer from EC2', () => {
    const c = new Ec2Condition();
    expect(c.problem()).toBeUndefined();
    c.failed(refused, 'DescribeInstances');
    expect(c.problem()).toMatch(/^ec2-unreachable: EC2 endpoint unreachable/);
    c.failed(new Ec2Error({ action: 'DescribeInstances', code: 'InvalidInstanceID.NotFound', class: 'not-found', message: 'gone' }));
    expect(c.problem()).toBeUndefined();
    c.failed(noCreds);
    expect(c.problem()).toMatch(/^aws-credentials-missing/);
    c.reachable();
    expect(c.problem()).toBeUndefined();
  });
});

describe('identityProblem', () => {
  it('accepts an allowed identity and names the fix otherwise', () => {
    expect(identityProblem('system:serviceaccount:kube-system:vpc-resource-controller', [], ['system:serviceaccount:kube-system:vpc-resource-controller'])).toBeUndefined();
    const p = identityProblem('kubernetes-admin', ['system:masters'], ['eks:vpc-resource-controller']);
    expect(p).toContain('"kubernetes-admin"');
    expect(p).toContain('ContainerCreating');
    expect(p).toContain('--controller-identity kubernetes-admin');
  });
});
