import { describe, expect, it } from 'vitest';
import { pickFreeBlocks } from '../../../src/sim/sandbox/cidr.js';
import { parseNodesSpec, parseSandboxConfig, parseSecurityGroupList, resolveSettings } from '../../../src/sim/sandbox/config.js';

describe('nodes spec', () => {
  it('parses groups and bare types', () => {
    expect(parseNodesSpec('m5.large=3,c5.xlarge=2')).toEqual([
      { instanceType: 'm5.large', count: 3 },
      { instanceType: 'c5.xlarge', count: 2 },
    ]);
    expect(parseNodesSpec('r7a.medium')).toEqual([{ instanceType: 'r7a.medium', count: 1 }]);
  });
  it.each([
    ['m5.large=three', /invalid node count "three"/],
    ['m5.large=-1', /invalid node count/],
    ['large=2', /invalid node group "large=2"/],
    ['m5.large=1=2', /invalid node group/],
  ])('rejects %s', (spec, err) => expect(() => parseNodesSpec(spec)).toThrow(err));
});

describe('config file', () => {
  it('reads the same settings as the flags, in three node notations', () => {
    expect(parseSandboxConfig('nodes: m5.large=2\ncustomNetworking: true\ncniMode: label\n').nodes).toEqual([{ instanceType: 'm5.large', count: 2 }]);
    expect(parseSandboxConfig('nodes: {m5.large: 1, c5.xlarge: 2}').nodes).toEqual([
      { instanceType: 'm5.large', count: 1 },
      { instanceType: 'c5.xlarge', count: 2 },
    ]);
    expect(parseSandboxConfig('nodes: [{instanceType: m5.large, count: 4}]').nodes).toEqual([{ instanceType: 'm5.large', count: 4 }]);
  });
  it('names the file and the field on bad input', () => {
    expect(() => parseSandboxConfig('cniMode: weird', 'sb.yaml')).toThrow(/sb\.yaml: cniMode: /);
    expect(() => parseSandboxConfig('timeScale: -2', 'sb.yaml')).toThrow(/timeScale/);
    expect(() => parseSandboxConfig('nodez: 3', 'sb.yaml')).toThrow(/nodez/);
    expect(() => parseSandboxConfig('nodes: m5.large=x', 'sb.yaml')).toThrow(/nodes: invalid node count/);
    expect(() => parseSandboxConfig('a: [unclosed', 'sb.yaml')).toThrow(/sb\.yaml: invalid YAML/);
  });
  it('flags override the file, the file overrides defaults', () => {
    const s = resolveSettings(parseSandboxConfig('throttle: off\ncniMode: label\ntimeScale: 10'), { cniMode: 'cninode', timeScale: undefined });
    expect(s).toMatchObject({ throttle: 'off', cniMode: 'cninode', timeScale: 10, controller: true, nodes: [{ instanceType: 'm5.large', count: 3 }] });
  });
});

describe('free CIDR blocks', () => {
  it('skips blocks that overlap existing subnets', () => {
    expect(pickFreeBlocks('10.0.0.0/16', ['10.0.0.0/19', '10.0.32.0/19', '10.0.64.0/19'], 20, 3)).toEqual(['10.0.96.0/20', '10.0.112.0/20', '10.0.128.0/20']);
    expect(pickFreeBlocks('10.0.0.0/16', ['10.0.16.0/20'], 19, 1)).toEqual(['10.0.32.0/19']);
  });
  it('says when the VPC is full', () => {
    expect(() => pickFreeBlocks('10.0.0.0/24', ['10.0.0.0/25'], 25, 2)).toThrow(/only 1 free \/25 blocks left in 10\.0\.0\.0\/24, need 2/);
  });
});

describe('imported security groups', () => {
  it('defaults to the groups docs/examples name, so the README walk-through allocates', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../../docs/examples/', import.meta.url);
    const named = readdirSync(dir)
      .map((f) => readFileSync(new URL(f, dir), 'utf8'))
      .flatMap((text) => text.match(/sg-[0-9a-f]{17}/g) ?? []);
    expect(named.length).toBeGreaterThan(0);
    expect(resolveSettings({}, {}).securityGroups).toEqual(expect.arrayContaining(named));
  });
  it('takes a list from flags or YAML and rejects malformed IDs naming them', () => {
    expect(parseSecurityGroupList('sg-0123456789abcdef0, sg-01234567')).toEqual(['sg-0123456789abcdef0', 'sg-01234567']);
    expect(() => parseSecurityGroupList('sg-XYZ')).toThrow(/invalid security group ID "sg-XYZ"/);
    expect(() => parseSandboxConfig('securityGroups: [sg-1]', 'f.yaml')).toThrow(/f.yaml: securityGroups.0: must be a security group ID/);
    expect(resolveSettings(parseSandboxConfig('securityGroups: [sg-0123456789abcdef0]'), {}).securityGroups).toEqual(['sg-0123456789abcdef0']);
  });
});
