import { describe, expect, it } from 'vitest';
import { messageResourceAllocated } from '../../../src/apis/constants.js';
import { decodePodEniAnnotation, encodePodEniAnnotation, type PodEniEntry } from '../../../src/domain/pod-eni-annotation.js';

// Seen on a real cluster (contract §1), byte for byte.
const REAL =
  '[{"eniId":"eni-09a7a909e06fc4be6","ifAddress":"02:b0:01:6c:b5:79","privateIp":"192.168.26.162","vlanId":1,"subnetCidr":"192.168.0.0/19"}]';
const base: PodEniEntry = {
  eniId: 'eni-09a7a909e06fc4be6',
  ifAddress: '02:b0:01:6c:b5:79',
  privateIp: '192.168.26.162',
  vlanId: 1,
  subnetCidr: '192.168.0.0/19',
};

describe('encodePodEniAnnotation', () => {
  it('reproduces the annotation seen on a real cluster byte for byte', () => {
    expect(encodePodEniAnnotation([base])).toBe(REAL);
    expect(messageResourceAllocated(encodePodEniAnnotation([base]))).toBe(`Allocated ${REAL} to the pod`);
  });

  it('puts fields in the reference order whatever order the object has', () => {
    const shuffled = { subnetCidr: base.subnetCidr, vlanId: 1, privateIp: base.privateIp, ifAddress: base.ifAddress, eniId: base.eniId };
    expect(encodePodEniAnnotation([shuffled])).toBe(REAL);
  });

  it.each<[string, Partial<PodEniEntry>, string]>([
    ['all optional fields', { ipv6Addr: '2001:db8::5', subnetV6Cidr: '2001:db8::/64', associationID: 'trunk-assoc-0123456789abcdef0' },
      '[{"eniId":"eni-09a7a909e06fc4be6","ifAddress":"02:b0:01:6c:b5:79","privateIp":"192.168.26.162","ipv6Addr":"2001:db8::5","vlanId":1,"subnetCidr":"192.168.0.0/19","subnetV6Cidr":"2001:db8::/64","associationID":"trunk-assoc-0123456789abcdef0"}]'],
    ['only the association ID', { associationID: 'trunk-assoc-0123456789abcdef0', vlanId: 120 },
      '[{"eniId":"eni-09a7a909e06fc4be6","ifAddress":"02:b0:01:6c:b5:79","privateIp":"192.168.26.162","vlanId":120,"subnetCidr":"192.168.0.0/19","associationID":"trunk-assoc-0123456789abcdef0"}]'],
    ['empty optional fields omitted', { ipv6Addr: '', subnetV6Cidr: '', associationID: '' }, REAL],
  ])('%s', (_name, extra, expected) => {
    expect(encodePodEniAnnotation([{ ...base, ...extra }])).toBe(expected);
  });

  it('encodes several ENIs and an empty list', () => {
    const second = { ...base, eniId: 'eni-0123456789abcdef0', vlanId: 2, privateIp: '192.168.26.163' };
    expect(JSON.parse(encodePodEniAnnotation([base, second]))).toEqual([base, second]);
    expect(encodePodEniAnnotation([])).toBe('[]');
  });

  it.each<[string, Partial<PodEniEntry>, RegExp]>([
    ['a bad ENI ID', { eniId: 'eni-zz' }, /\[0\]\.eniId: "eni-zz" is not a network interface ID/],
    ['a bad MAC', { ifAddress: '02:b0:01' }, /\[0\]\.ifAddress: "02:b0:01" is not a MAC address/],
    ['VLAN 0', { vlanId: 0 }, /\[0\]\.vlanId: must be an integer from 1 to 120 \(got 0\)/],
    ['VLAN 121', { vlanId: 121 }, /vlanId: must be an integer from 1 to 120 \(got 121\)/],
    ['a bad IP', { privateIp: '192.168.1' }, /privateIp: "192\.168\.1" is not an IPv4 address/],
    ['a bad CIDR', { subnetCidr: '192.168.0.0' }, /subnetCidr: "192\.168\.0\.0" is not an IPv4 CIDR block/],
    ['a bad IPv6 CIDR', { subnetV6Cidr: '2001:db8::/129' }, /subnetV6Cidr: "2001:db8::\/129" is not an IPv6 CIDR block/],
  ])('refuses %s, naming the field', (_name, extra, message) => {
    expect(() => encodePodEniAnnotation([{ ...base, ...extra }])).toThrow(message);
  });
});

describe('decodePodEniAnnotation', () => {
  it('round-trips what it encodes', () => {
    const entries: PodEniEntry[] = [
      base,
      { ...base, eniId: 'eni-0123456789abcdef0', vlanId: 7, ipv6Addr: '2001:db8::7', subnetV6Cidr: '2001:db8::/64', associationID: 'trunk-assoc-1' },
    ];
    expect(decodePodEniAnnotation(encodePodEniAnnotation(entries))).toEqual({ ok: true, value: entries });
  });

  it('reads what the reference writes: empty strings for unset fields, any key case', () => {
    const reference =
      '[{"eniId":"eni-09a7a909e06fc4be6","ifAddress":"02:b0:01:6c:b5:79","privateIp":"192.168.26.162","ipv6Addr":"","vlanID":1,"subnetCidr":"192.168.0.0/19","subnetV6Cidr":"","associationID":"","extra":true}]';
    expect(decodePodEniAnnotation(reference)).toEqual({ ok: true, value: [base] });
  });

  it('reads an IPv6-only entry', () => {
    const v6 = '[{"eniId":"eni-09a7a909e06fc4be6","ifAddress":"02:b0:01:6c:b5:79","privateIp":"","ipv6Addr":"2001:db8::5","vlanId":3,"subnetCidr":"","subnetV6Cidr":"2001:db8::/64"}]';
    expect(decodePodEniAnnotation(v6)).toEqual({
      ok: true,
      value: [{ eniId: base.eniId, ifAddress: base.ifAddress, privateIp: '', ipv6Addr: '2001:db8::5', vlanId: 3, subnetCidr: '', subnetV6Cidr: '2001:db8::/64' }],
    });
  });

  it.each<[string, string, string[]]>([
    ['empty text', '  ', ['annotation is empty (expected a JSON array of branch ENIs)']],
    ['an object instead of a list', '{"eniId":"eni-09a7a909e06fc4be6"}', ['annotation must be a JSON array of branch ENIs']],
    ['a non-object entry', '[1]', ['[0]: must be an object']],
    ['missing fields', '[{}]', ['[0].eniId: is required', "[0].ifAddress: is required (the branch ENI's MAC address)", '[0].privateIp: is required (or ipv6Addr for an IPv6 pod)', '[0].vlanId: is required']],
    ['VLAN as a string', '[{"eniId":"eni-09a7a909e06fc4be6","ifAddress":"02:b0:01:6c:b5:79","privateIp":"10.0.0.1","vlanId":"1","subnetCidr":"10.0.0.0/16"}]', ['[0].vlanId: must be an integer from 1 to 120 (got "1")']],
    ['an IP without its subnet', '[{"eniId":"eni-09a7a909e06fc4be6","ifAddress":"02:b0:01:6c:b5:79","privateIp":"10.0.0.1","vlanId":1}]', ['[0].subnetCidr: is required with privateIp']],
    ['a number as IP', '[{"eniId":"eni-09a7a909e06fc4be6","ifAddress":"02:b0:01:6c:b5:79","privateIp":10,"vlanId":1,"subnetCidr":"10.0.0.0/16"}]', ['[0].privateIp: must be a string (got number)']],
    ['errors in the second entry', `[${REAL.slice(1, -1)},{"eniId":"eni-1","ifAddress":"x","privateIp":"10.0.0.1","vlanId":1,"subnetCidr":"10.0.0.0/16"}]`, ['[1].eniId: "eni-1" is not a network interface ID', '[1].ifAddress: "x" is not a MAC address']],
  ])('rejects %s', (_name, text, errors) => {
    expect(decodePodEniAnnotation(text)).toEqual({ ok: false, errors });
  });

  it('rejects bad JSON, naming it', () => {
    const r = decodePodEniAnnotation('[{"eniId":');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(/^annotation is not valid JSON: /);
  });
});
