import { describe, expect, it } from 'vitest';
import * as c from '../../src/apis/constants.js';

// Byte-exact messages the CNI and users' tooling read (contract §4).
describe('contract constants', () => {
  it('formats event messages exactly as the reference controller', () => {
    expect(c.messageSecurityGroupRequested(['sg-a', 'sg-b'])).toBe('Pod will get the following Security Groups [sg-a sg-b]');
    expect(c.messageUnsupported('t3.medium')).toBe(
      'The instance type t3.medium is not supported for trunk interface (Security Group for Pods)',
    );
    expect(c.messageBranchAllocationFailed('x')).toBe('failed to allocate branch ENI to pod: x');
    expect(c.messageCooldownUpdated('45s')).toBe('Branch ENI cool down period has been updated to 45s');
  });
  it('validates security group IDs with the contract pattern', () => {
    const re = new RegExp(c.SECURITY_GROUP_ID_PATTERN);
    expect(re.test('sg-079157a483bcb371f')).toBe(true);
    expect(re.test('sg-0123abcd')).toBe(true);
    expect(re.test('sg-0123ABCD')).toBe(false);
    expect(re.test('sg-123')).toBe(false);
  });
});
