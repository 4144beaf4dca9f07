import { describe, expect, it } from 'vitest';
import { VlanAllocator } from '../../../src/domain/vlan-allocator.js';

const drain = (a: VlanAllocator, n: number): (number | undefined)[] => Array.from({ length: n }, () => a.allocate());

describe('VlanAllocator', () => {
  it('hands out never-used VLANs first, ascending from 1', () => {
    expect(drain(new VlanAllocator(9), 3)).toEqual([1, 2, 3]);
  });

  it('prefers a never-used VLAN over a freed one', () => {
    const a = new VlanAllocator(9);
    drain(a, 3);
    a.free(1);
    expect(a.allocate()).toBe(4);
  });

  it('once every VLAN has been used, reuses the least recently freed', () => {
    const a = new VlanAllocator(3, 3);
    expect(drain(a, 3)).toEqual([1, 2, 3]);
    a.free(2);
    a.free(3);
    a.free(1);
    expect(drain(a, 3)).toEqual([2, 3, 1]);
  });

  it('stops at capacity (the branch limit), counting VLANs whose ENIs are still cooling down', () => {
    const a = new VlanAllocator(2);
    expect(drain(a, 3)).toEqual([1, 2, undefined]);
    expect(a.available).toBe(0);
    a.free(1);
    expect(a.available).toBe(1);
    // VLANs above the capacity rest longer: 3 is never used, so it comes before freed 1
    expect(a.allocate()).toBe(3);
  });

  it('a capacity of 0 (trunk-less type) allocates nothing', () => {
    expect(new VlanAllocator(0).allocate()).toBeUndefined();
  });

  it('rebuild: VLANs marked used are never handed out, even beyond capacity', () => {
    const a = new VlanAllocator(3);
    expect(a.markUsed(1)).toBe(true);
    expect(a.markUsed(3)).toBe(true);
    expect(a.markUsed(3)).toBe(false);
    expect(a.allocate()).toBe(2);
    expect(a.allocate()).toBeUndefined();
    const over = new VlanAllocator(1);
    over.markUsed(5);
    over.markUsed(6);
    expect(over.inUse).toBe(2);
    expect(over.allocate()).toBeUndefined();
  });

  it('marking a freed VLAN used takes it out of the reuse queue', () => {
    const a = new VlanAllocator(2, 2);
    drain(a, 2);
    a.free(1);
    a.free(2);
    a.markUsed(1);
    expect(a.allocate()).toBe(2);
    expect(a.allocate()).toBeUndefined();
  });

  it('a double free is refused and cannot release a VLAN handed out again', () => {
    const a = new VlanAllocator(1, 1);
    expect(a.allocate()).toBe(1);
    expect(a.free(1)).toBe(true);
    expect(a.free(1)).toBe(false);
    expect(a.allocate()).toBe(1);
    expect(a.allocate()).toBeUndefined();
    expect(a.free(1)).toBe(true);
    expect(a.inUse).toBe(0);
  });

  it('never hands out a VLAN twice over a long random sequence', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const a = new VlanAllocator(9);
    const held = new Set<number>();
    for (let step = 0; step < 5000; step++) {
      if (held.size > 0 && rand() < 0.45) {
        const list = [...held];
        const v = list[Math.floor(rand() * list.length)]!;
        expect(a.free(v)).toBe(true);
        held.delete(v);
      } else {
        const v = a.allocate();
        if (held.size >= 9) expect(v).toBeUndefined();
        else {
          expect(v).toBeDefined();
          expect(held.has(v!)).toBe(false);
          held.add(v!);
        }
      }
      expect(a.inUse).toBe(held.size);
    }
    expect(a.used()).toEqual([...held].sort((x, y) => x - y));
  });

  it.each<[string, () => unknown, RegExp]>([
    ['capacity above the range', () => new VlanAllocator(121), /capacity must be an integer from 0 to 120/],
    ['negative capacity', () => new VlanAllocator(-1), /capacity must be an integer/],
    ['maxVlanId above 120', () => new VlanAllocator(1, 200), /maxVlanId must be an integer from 1 to 120/],
    ['marking VLAN 0', () => new VlanAllocator(9).markUsed(0), /VLAN ID must be an integer from 1 to 120 \(got 0\)/],
    ['freeing VLAN 121', () => new VlanAllocator(9).free(121), /VLAN ID must be an integer from 1 to 120 \(got 121\)/],
    ['a fractional VLAN', () => new VlanAllocator(9).markUsed(1.5), /got 1\.5/],
  ])('rejects %s', (_name, fn, message) => {
    expect(fn).toThrow(message);
  });

  it('isUsed and used() reflect the state', () => {
    const a = new VlanAllocator(9);
    drain(a, 2);
    a.free(1);
    expect([a.isUsed(1), a.isUsed(2), a.isUsed(3), a.isUsed(0)]).toEqual([false, true, false, false]);
    expect(a.used()).toEqual([2]);
  });
});
