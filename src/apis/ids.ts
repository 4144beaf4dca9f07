// EC2 resource ID formats: a prefix and 8 (old style) or 17 (new style) lowercase hex digits.
// Checked before any EC2 call so a typo becomes a clear message instead of an EC2 error.
import { SECURITY_GROUP_ID_PATTERN, SUBNET_ID_PATTERN } from './constants.js';

export const SECURITY_GROUP_ID_REGEX = new RegExp(SECURITY_GROUP_ID_PATTERN);
export const SUBNET_ID_REGEX = new RegExp(SUBNET_ID_PATTERN);

export const isSecurityGroupId = (id: unknown): id is string =>
  typeof id === 'string' && SECURITY_GROUP_ID_REGEX.test(id);

export const isSubnetId = (id: unknown): id is string => typeof id === 'string' && SUBNET_ID_REGEX.test(id);

export const securityGroupIdProblem = (id: string): string =>
  `"${id}" is not a security group ID (expected sg- followed by 8 or 17 lowercase hex digits)`;

export const subnetIdProblem = (id: string): string =>
  `"${id}" is not a subnet ID (expected subnet- followed by 8 or 17 lowercase hex digits)`;
