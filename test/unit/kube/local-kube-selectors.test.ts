 
import { describe, expect, it } from 'vitest';
import { KubeError } from '../../../src/sim/kube/errors.js';
import { fieldEqualities, parseFieldSelector, parseLabelSelector } from '../../../src/sim/kube/selectors.js';

describe('label selector strings', () => {
  const labels = { app: 'web', tier: 'front', n: '5' };
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db,web)', true],
    ['app notin (db, web)', false],
    ['zone notin (a)', true],
    ['tier', true],
    ['!tier', false],
    ['!zone', true],
    ['app=web,tier in (front),!zone', true],
    ['app=web,tier=back', false],
    ['n>4', true],
    ['n<5', false],
    ['example.com/key', false],
  ])('%s → %s', (sel, expected) => {
    expect(parseLabelSelector(sel)!(labels)).toBe(expected);
  });

  it('matches everything when empty', () => {
    expect(parseLabelSelector('')).toBeUndefined();
    expect(parseLabelSelector('  ')).toBeUndefined();
  });

  it.each(['app in (', 'a=b=c', '=x', 'app in (a b)', 'bad key=1', 'n>x'])('rejects %j with 400', (sel) => {
    try {
      parseLabelSelector(sel);
      expect.unreachable();
    } catch (err) {
      expect((err as KubeError).code).toBe(400);
    }
  });
});

describe('field selectors', () => {
  const supported = new Set(['metadata.name', 'spec.nodeName', 'status.phase']);
  it('matches equalities and inequalities, with escapes', () => {
    const p = parseFieldSelector('spec.nodeName=n1,status.phase!=Failed', supported)!;
    expect(p({ 'spec.nodeName': 'n1', 'status.phase': 'Running' })).toBe(true);
    expect(p({ 'spec.nodeName': 'n1', 'status.phase': 'Failed' })).toBe(false);
    expect(p({ 'spec.nodeName': 'n2', 'status.phase': 'Running' })).toBe(false);
    expect(parseFieldSelector('metadata.name=a\\,b', supported)!({ 'metadata.name': 'a,b' })).toBe(true);
    expect(parseFieldSelector('spec.nodeName=', supported)!({ 'spec.nodeName': '' })).toBe(true);
  });

  it('refuses unknown fields as the real server does', () => {
    expect(() => parseFieldSelector('spec.bogus=1', supported)).toThrow('field label not supported: spec.bogus');
  });

  it('extracts equalities for index look-ups', () => {
    expect([...fieldEqualities('spec.nodeName==n1,status.phase!=Failed')]).toEqual([['spec.nodeName', 'n1']]);
  });
});
