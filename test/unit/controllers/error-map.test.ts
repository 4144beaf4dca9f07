// The one error map, as a table: every kind of error a reconcile meets and the outcome it gets.
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { Ec2Error, toEc2Error } from '../../../src/aws/error-classes.js';
import { errorClassOf, outcomeOf } from '../../../src/controllers/error-map.js';
import { BranchCreateError } from '../../../src/controllers/pod/branch-eni-ops.js';

const ec2 = (code: string): Ec2Error => toEc2Error('CreateNetworkInterface', { name: code, message: code, $metadata: { httpStatusCode: 400 }, $fault: 'client' });
const kube = (code: number, reason = ''): ApiException<string> => new ApiException(code, `HTTP ${code}`, JSON.stringify({ kind: 'Status', reason }), {});
const net = (code: string): Error => Object.assign(new Error(`connect ${code}`), { code });

describe('outcomeOf', () => {
  it.each([
    ['EC2 throttled', ec2('RequestLimitExceeded'), { errorClass: 'throttled', minDelayMs: 1_000 }],
    ['EC2 subnet full', ec2('InsufficientFreeAddressesInSubnet'), { errorClass: 'quota', minDelayMs: 15_000 }],
    ['EC2 not found', ec2('InvalidNetworkInterfaceID.NotFound'), { errorClass: 'not-found', minDelayMs: 2_000 }],
    ['EC2 unauthorized', ec2('UnauthorizedOperation'), { errorClass: 'unauthorized', minDelayMs: 120_000 }],
    ['EC2 error wrapped by a step', new BranchCreateError('associate', ec2('InvalidParameterValue'), undefined, true, false), { errorClass: 'invalid', minDelayMs: 60_000 }],
    ['EC2 error as a cause', new Error('trunk', { cause: ec2('InternalError') }), { errorClass: 'transient', minDelayMs: 1_000 }],
    ['Kubernetes 404', kube(404, 'NotFound'), { errorClass: 'not-found' }],
    ['Kubernetes 409', kube(409, 'Conflict'), { errorClass: 'conflict' }],
    ['Kubernetes 409 AlreadyExists', kube(409, 'AlreadyExists'), { errorClass: 'conflict' }],
    ['Kubernetes 422', kube(422, 'Invalid'), { errorClass: 'invalid' }],
    ['Kubernetes 429', kube(429, 'TooManyRequests'), { errorClass: 'throttled', minDelayMs: 1_000 }],
    ['Kubernetes 403', kube(403, 'Forbidden'), { errorClass: 'unauthorized' }],
    ['Kubernetes 500', kube(500, 'InternalError'), { errorClass: 'transient' }],
    ['watch error with statusCode', Object.assign(new Error('gone'), { statusCode: 410 }), { errorClass: 'not-found' }],
    ['connection refused', net('ECONNREFUSED'), { errorClass: 'transient' }],
    ['connection reset as a cause', new Error('fetch failed', { cause: net('ECONNRESET') }), { errorClass: 'transient' }],
  ])('%s', (_name, err, hints) => {
    const out = outcomeOf(err);
    expect(out).toEqual({ kind: 'retry', error: err, ...hints });
  });

  it('an error of no known kind is a plain retry (class unknown)', () => {
    const err = new Error('bookkeeping bug');
    expect(outcomeOf(err)).toEqual({ kind: 'retry', error: err });
    expect(errorClassOf(err)).toBe('unknown');
    expect(errorClassOf('a string')).toBe('unknown');
  });
});
