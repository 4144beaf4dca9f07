import { describe, expect, it } from 'vitest';
import { classifyCode, toEc2Error, Ec2Error, RETRY_AFTER_MS, isNotFound, mayHaveTakenEffect, type Ec2ErrorClass } from '../../../src/aws/error-classes.js';

describe('classifyCode', () => {
  it.each<[string, number | undefined, Ec2ErrorClass]>([
    ['RequestLimitExceeded', 503, 'throttled'],
    ['InvalidNetworkInterfaceID.NotFound', 400, 'not-found'],
    ['InvalidAssociationID.NotFound', 400, 'not-found'],
    ['InvalidSecurityGroupID.NotFound', 400, 'not-found'],
    ['InvalidSubnetID.NotFound', 400, 'not-found'],
    ['InsufficientFreeAddressesInSubnet', 400, 'quota'],
    ['AttachmentLimitExceeded', 400, 'quota'],
    ['SecurityGroupsPerInterfaceLimitExceeded', 400, 'quota'],
    ['NetworkInterfaceLimitExceeded', 400, 'quota'],
    ['InvalidParameterValue', 400, 'invalid'],
    ['InvalidNetworkInterfaceId.Malformed', 400, 'invalid'],
    ['InvalidGroupId.Malformed', 400, 'invalid'],
    ['MissingParameter', 400, 'invalid'],
    ['UnauthorizedOperation', 403, 'unauthorized'],
    ['AuthFailure', 401, 'unauthorized'],
    ['InvalidNetworkInterface.InUse', 400, 'conflict'],
    ['IdempotentParameterMismatch', 400, 'conflict'],
    ['InternalError', 500, 'transient'],
    ['Unavailable', 503, 'transient'],
    ['TimeoutError', undefined, 'transient'],
    ['ECONNRESET', undefined, 'transient'],
    ['SomethingNew', 502, 'transient'],
    ['SomethingNew', 400, 'fatal'],
  ])('%s (%s) → %s', (code, status, cls) => {
    expect(classifyCode(code, status)).toBe(cls);
  });

  it('recommends retrying an exhausted subnet sooner than an unauthorised call, and throttles soonest', () => {
    expect(RETRY_AFTER_MS.quota).toBeLessThan(RETRY_AFTER_MS.unauthorized);
    expect(RETRY_AFTER_MS.throttled).toBeLessThanOrEqual(RETRY_AFTER_MS.quota);
  });
});

describe('toEc2Error', () => {
  it('reads the code from an SDK service error', () => {
    const sdk = Object.assign(new Error('The subnet has no free addresses'), {
      name: 'InsufficientFreeAddressesInSubnet',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: 'req-1' },
    });
    const e = toEc2Error('CreateNetworkInterface', sdk);
    expect(e).toBeInstanceOf(Ec2Error);
    expect(e).toMatchObject({
      action: 'CreateNetworkInterface',
      code: 'InsufficientFreeAddressesInSubnet',
      class: 'quota',
      httpStatus: 400,
      requestId: 'req-1',
      retryAfterMs: RETRY_AFTER_MS.quota,
    });
    expect(e.message).toBe('CreateNetworkInterface: InsufficientFreeAddressesInSubnet: The subnet has no free addresses');
    expect(e.cause).toBe(sdk);
  });

  it('treats connection failures and unknown errors without a response as transient', () => {
    expect(toEc2Error('DescribeInstances', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).class).toBe('transient');
    expect(toEc2Error('DescribeInstances', new Error('socket hang up')).class).toBe('transient');
    expect(toEc2Error('DescribeInstances', Object.assign(new Error('timed out'), { name: 'TimeoutError' })).class).toBe('transient');
  });

  it('passes an Ec2Error through and isNotFound recognises release-path successes', () => {
    const e = toEc2Error('DeleteNetworkInterface', Object.assign(new Error('gone'), { name: 'InvalidNetworkInterfaceID.NotFound', $metadata: { httpStatusCode: 400 } }));
    expect(toEc2Error('X', e)).toBe(e);
    expect(isNotFound(e)).toBe(true);
    expect(isNotFound(new Error('x'))).toBe(false);
  });

  it('adds an IAM hint to unauthorised errors meant for users', () => {
    const e = toEc2Error('CreateNetworkInterface', Object.assign(new Error('You are not authorized'), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } }));
    expect(e.userMessage()).toMatch(/^CreateNetworkInterface failed: UnauthorizedOperation: You are not authorized \(.*ec2:CreateNetworkInterface.*\)$/);
  });
});

describe('mayHaveTakenEffect', () => {
  it.each([
    ['InternalError', true],
    ['ECONNRESET', true],
    ['InvalidNetworkInterface.InUse', true],
    ['InvalidParameterValue', true],
    ['RequestLimitExceeded', false],
    ['UnauthorizedOperation', false],
    ['AttachmentLimitExceeded', false],
    ['InvalidNetworkInterfaceID.NotFound', false],
  ])('%s → %s', (code, expected) => {
    expect(mayHaveTakenEffect(toEc2Error('AssociateTrunkInterface', { name: code, message: 'x', $metadata: { httpStatusCode: 400 } }))).toBe(expected);
  });

  it('a failure that is not an EC2 answer may have taken effect', () => {
    expect(mayHaveTakenEffect(new Error('socket hang up'))).toBe(true);
  });
});
