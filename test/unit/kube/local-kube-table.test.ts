import { describe, expect, it } from 'vitest';
import { evalJsonPath } from '../../../src/sim/kube/table.js';

describe('local API server: printer column JSONPath', () => {
  const obj = {
    spec: { securityGroups: { groupIds: ['sg-1', 'sg-2'] } },
    status: {
      matchedPods: 3,
      conditions: [
        { type: 'Synced', status: 'False', reason: 'X' },
        { type: 'Ready', status: 'True', reason: 'Resolved' },
      ],
    },
  };

  it.each<[string, unknown]>([
    ['.spec.securityGroups.groupIds', ['sg-1', 'sg-2']],
    ['.spec.securityGroups.groupIds[1]', 'sg-2'],
    ['.status.matchedPods', 3],
    ['.status.conditions[?(@.type=="Ready")].status', 'True'],
    [".status.conditions[?(@.type=='Ready')].reason", 'Resolved'],
    ['.status.conditions[?(@.type=="Missing")].status', undefined],
    ['.spec.securityGroups[?(@.type=="Ready")].status', undefined],
  ])('%s', (path, want) => {
    expect(evalJsonPath(obj, path)).toEqual(want);
  });
});
