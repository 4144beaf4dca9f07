import { describe, expect, it } from 'vitest';
import { labelSelectorErrors, matchesLabelSelector, type LabelSelector } from '../../src/domain/label-selector.js';

describe('matchesLabelSelector', () => {
  const labels = { app: 'web', tier: 'front' };
  it.each<[string, LabelSelector | undefined, boolean]>([
    ['missing selector matches nothing', undefined, false],
    ['empty selector matches everything', {}, true],
    ['matchLabels equal', { matchLabels: { app: 'web' } }, true],
    ['matchLabels differ', { matchLabels: { app: 'db' } }, false],
    ['In hit', { matchExpressions: [{ key: 'app', operator: 'In', values: ['db', 'web'] }] }, true],
    ['In miss', { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] }, false],
    ['NotIn on absent key', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['NotIn hit', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, false],
    ['Exists', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    ['labels AND expressions', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, false],
    ['unknown operator never matches', { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] }, false],
  ])('%s', (_name, selector, expected) => {
    expect(matchesLabelSelector(selector, labels)).toBe(expected);
  });
});

describe('labelSelectorErrors', () => {
  it('names each invalid requirement', () => {
    expect(
      labelSelectorErrors({
        matchExpressions: [
          { key: 'a', operator: 'In' },
          { key: 'b', operator: 'Exists', values: ['x'] },
          { key: 'c', operator: 'Like', values: ['x'] },
        ],
      }),
    ).toEqual([
      'selector.matchExpressions[0].values: must be non-empty for operator In',
      'selector.matchExpressions[1].values: must be empty for operator Exists',
      'selector.matchExpressions[2].operator: "Like" is not one of In, NotIn, Exists, DoesNotExist',
    ]);
    expect(labelSelectorErrors({ matchLabels: { a: 'b' } })).toEqual([]);
  });
});
