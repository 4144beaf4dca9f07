import { describe, expect, it } from 'vitest';
import { AddressPool, cidrContains, cidrOverlaps, formatIpv4, parseCidr, parseIpv4 } from '../../../src/sim/ec2/address-pool.js';

describe('CIDR arithmetic', () => {
  it('parses and formats', () => {
    expect(parseIpv4('10.0.1.2')).toBe(0x0a000102);
    expect(parseIpv4('256.0.0.1')).toBeUndefined();
    expect(parseIpv4('1.2.3')).toBeUndefined();
    expect(formatIpv4(0xc0a80001)).toBe('192.168.0.1');
    expect(parseCidr('10.0.0.0/19')).toEqual({ base: 0x0a000000, prefix: 19, size: 8192 });
  });

  it('rejects bad CIDRs with InvalidParameterValue', () => {
    for (const bad of ['10.0.0.1/16', '10.0.0.0/33', 'x/16', '10.0.0.0']) {
      expect(() => parseCidr(bad), bad).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
    }
  });

  it('containment and overlap', () => {
    expect(cidrContains(parseCidr('10.0.0.0/16'), parseCidr('10.0.32.0/19'))).toBe(true);
    expect(cidrContains(parseCidr('10.0.0.0/16'), parseCidr('10.1.0.0/24'))).toBe(false);
    expect(cidrOverlaps(parseCidr('10.0.0.0/24'), parseCidr('10.0.0.128/25'))).toBe(true);
    expect(cidrOverlaps(parseCidr('10.0.0.0/25'), parseCidr('10.0.0.128/25'))).toBe(false);
  });
});

describe('AddressPool', () => {
  it('reserves the first four and the last address', () => {
    const pool = new AddressPool(parseCidr('10.0.0.0/28'));
    expect(pool.capacity).toBe(11);
    const got: string[] = [];
    for (let ip = pool.allocate(); ip !== undefined; ip = pool.allocate()) got.push(ip);
    expect(got).toHaveLength(11);
    expect(got[0]).toBe('10.0.0.4');
    expect(got.at(-1)).toBe('10.0.0.14');
    expect(pool.available).toBe(0);
  });

  it('reuses released addresses first-released-first and never hands out one twice', () => {
    const pool = new AddressPool(parseCidr('10.0.0.0/24'));
    const a = pool.allocate();
    const b = pool.allocate();
    const c = pool.allocate();
    pool.release(b as string);
    pool.release(a as string);
    expect(pool.allocate()).toBe(b);
    expect(pool.allocate()).toBe(a);
    expect(pool.allocate()).toBe('10.0.0.7');
    expect(c).toBe('10.0.0.6');
    const seen = new Set<string>();
    for (let ip = pool.allocate(); ip !== undefined; ip = pool.allocate()) {
      expect(seen.has(ip)).toBe(false);
      seen.add(ip);
    }
    expect(pool.available).toBe(0);
  });

  it('allocates specific addresses and explains refusals', () => {
    const pool = new AddressPool(parseCidr('10.0.0.0/24'));
    expect(pool.allocateSpecific('10.0.0.10')).toEqual({ ok: true });
    expect(pool.allocateSpecific('10.0.0.10')).toEqual({ ok: false, reason: 'in-use' });
    expect(pool.allocateSpecific('10.0.0.2')).toEqual({ ok: false, reason: 'reserved' });
    expect(pool.allocateSpecific('10.0.0.255')).toEqual({ ok: false, reason: 'reserved' });
    expect(pool.allocateSpecific('10.0.1.5')).toEqual({ ok: false, reason: 'outside' });
    // The sequential allocator skips the taken one.
    for (let i = 4; i < 10; i++) pool.allocate();
    expect(pool.allocate()).toBe('10.0.0.11');
    pool.release('10.0.0.10');
    expect(pool.available).toBe(251 - 7);
  });
});
