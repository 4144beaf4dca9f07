import { describe, expect, it } from 'vitest';
import { effectiveCooldown } from '../../../../src/controllers/config/cooldown-setting.js';

describe('effectiveCooldown', () => {
  it.each<[string | undefined, number | undefined, number, boolean]>([
    // value, floor, seconds, has a reason
    [undefined, undefined, 60, false],
    ['90', undefined, 90, false],
    ['10', undefined, 30, true], // the product floor
    ['10', 30, 30, true],
    ['abc', 1, 60, true], // not a number: the default, whatever the floor
    ['2', 1, 2, false], // tests lower the floor
    ['0', 1, 1, true],
    ['45', 1, 45, false],
    ['-5', 1, 1, true],
  ])('%s with floor %s → %ss', (value, floor, seconds, reason) => {
    const r = effectiveCooldown(value, floor);
    expect(r.seconds).toBe(seconds);
    expect(r.reason !== undefined).toBe(reason);
  });
});
