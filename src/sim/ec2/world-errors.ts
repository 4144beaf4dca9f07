// EC2's errors for missing or malformed resource IDs and bad tags, worded as EC2 words them.
import { Ec2ErrorResponse, invalidParameterValue } from './errors.js';
import { isWellFormedId } from './ids.js';

export const MAX_TAGS_PER_RESOURCE = 50;

export interface TagInputs {
  key: string;
  value: string | undefined;
}

export type ResourcePrefix = 'eni' | 'subnet' | 'sg' | 'i' | 'vpc';

const NOT_FOUND_CODE: Record<ResourcePrefix, [string, string]> = {
  eni: ['InvalidNetworkInterfaceID', 'networkInterface'],
  subnet: ['InvalidSubnetID', 'subnet'],
  sg: ['InvalidSecurityGroupID', 'securityGroup'],
  i: ['InvalidInstanceID', 'instance'],
  vpc: ['InvalidVpcID', 'vpc'],
};

export function notFound(prefix: ResourcePrefix, ids: readonly string[]): Ec2ErrorResponse {
  const [code, noun] = NOT_FOUND_CODE[prefix];
  const msg =
    ids.length === 1
      ? `The ${noun} ID '${ids[0]}' does not exist`
      : `The ${noun} IDs '${ids.join(', ')}' do not exist`;
  return new Ec2ErrorResponse(`${code}.NotFound`, msg);
}

export function malformed(prefix: ResourcePrefix, id: string): Ec2ErrorResponse {
  const [code] = NOT_FOUND_CODE[prefix];
  const c = prefix === 'sg' ? 'InvalidGroupId' : code;
  return new Ec2ErrorResponse(`${c}.Malformed`, `Invalid id: "${id}" (expecting "${prefix}-...")`);
}

/** Throws EC2's Malformed error unless `id` is well-formed for `prefix`. */
export function checkId(prefix: ResourcePrefix, id: string): void {
  if (!isWellFormedId(prefix, id)) throw malformed(prefix, id);
}

export function validateTags(tags: readonly TagInputs[], forCreate = true): void {
  for (const t of tags) {
    if (t.key.length === 0 || t.key.length > 128) {
      throw invalidParameterValue(`Tag key must be between 1 and 128 characters: '${t.key.slice(0, 140)}'`);
    }
    if (forCreate && t.key.toLowerCase().startsWith('aws:')) {
      throw invalidParameterValue(`Tag keys starting with 'aws:' are reserved for internal use`);
    }
    if (t.value !== undefined && t.value.length > 256) {
      throw invalidParameterValue(`Tag value for key '${t.key}' exceeds the maximum length of 256 characters`);
    }
  }
}

export function tagLimit(): Ec2ErrorResponse {
  return new Ec2ErrorResponse('TagLimitExceeded', `The maximum number of tags per resource (${MAX_TAGS_PER_RESOURCE}) has been exceeded.`);
}

/** Tag inputs as a resource's tag map (a missing value is the empty string, as in EC2). */
export function tagMap(tags: readonly TagInputs[]): Map<string, string> {
  return new Map(tags.map((t) => [t.key, t.value ?? '']));
}
