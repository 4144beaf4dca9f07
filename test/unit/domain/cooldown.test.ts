import { describe, expect, it } from 'vitest';
import { messageCooldownUpdated } from '../../../src/apis/constants.js';
import { formatDuration, parseCooldown } from '../../../src/domain/cooldown.js';

describe('parseCooldown', () => {
  it.each<[string | undefined | null, number, RegExp | undefined]>([
    [undefined, 60, undefined],
    [null, 60, undefined],
    ['', 60, undefined],
    ['   ', 60, undefined],
    ['60', 60, undefined],
    ['45', 45, undefined],
    [' 90 ', 90, undefined],
    ['30', 30, undefined],
    ['29', 30, /branch-eni-cooldown 29s is below the minimum of 30s; using 30s/],
    ['0', 30, /below the minimum of 30s/],
    ['-5', 30, /branch-eni-cooldown -5s is below the minimum/],
    ['86400', 86400, undefined],
    ['86401', 86400, /above the maximum of 86400s; using 24h0m0s/],
    ['abc', 60, /branch-eni-cooldown "abc" is not a whole number of seconds; using the default 1m0s/],
    ['45s', 60, /"45s" is not a whole number of seconds/],
    ['4.5', 60, /"4.5" is not a whole number/],
    ['1e3', 60, /"1e3" is not a whole number/],
  ])('%j → %i s', (value, seconds, reason) => {
    const r = parseCooldown(value);
    expect(r.seconds).toBe(seconds);
    if (reason) expect(r.reason).toMatch(reason);
    else expect(r.reason).toBeUndefined();
  });
});

describe('formatDuration (Go time.Duration String)', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [45, '45s'],
    [30, '30s'],
    [60, '1m0s'],
    [90, '1m30s'],
    [600, '10m0s'],
    [3600, '1h0m0s'],
    [3661, '1h1m1s'],
    [86400, '24h0m0s'],
    [1.5, '1.5s'],
    [61.25, '1m1.25s'],
    [0.5, '500ms'],
    [0.001, '1ms'],
    [-90, '-1m30s'],
  ])('%s s → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('makes the event message the reference emits', () => {
    expect(messageCooldownUpdated(formatDuration(parseCooldown('60').seconds))).toBe(
      'Branch ENI cool down period has been updated to 1m0s',
    );
  });

  it('rejects a non-finite duration', () => {
    expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(/finite/);
  });
});
