import { describe, expect, it } from 'vitest';
import type { DescribeInstancesRequest, Instance } from '@aws-sdk/client-ec2';
import { InstanceDescriber } from '../../../../src/controllers/node/instance-describer.js';

const inst = (id: string, state = 'running'): Instance => ({ InstanceId: id, InstanceType: 'm5.large', State: { Name: state as 'running' }, NetworkInterfaces: [] });

function fakeEc2(known: Record<string, Instance>) {
  const calls: DescribeInstancesRequest[] = [];
  return {
    calls,
    describeInstances: (input: DescribeInstancesRequest): Promise<Instance[]> => {
      calls.push(input);
      const ids = input.Filters?.[0]?.Values ?? [];
      return Promise.resolve(ids.map((id) => known[id]).filter((i): i is Instance => i !== undefined));
    },
  };
}

describe('InstanceDescriber', () => {
  it('sends requests made within the window as one filtered call, and answers each', async () => {
    const ec2 = fakeEc2({ 'i-1': inst('i-1'), 'i-2': inst('i-2'), 'i-3': inst('i-3', 'terminated') });
    const d = new InstanceDescriber({ ec2, windowMs: 5 });
    const [a, b, again, gone, unknown] = await Promise.all([d.describe('i-1'), d.describe('i-2'), d.describe('i-1'), d.describe('i-3'), d.describe('i-9')]);
    expect(ec2.calls).toHaveLength(1);
    expect(ec2.calls[0]?.Filters).toEqual([{ Name: 'instance-id', Values: ['i-1', 'i-2', 'i-3', 'i-9'] }]);
    expect(a?.instanceId).toBe('i-1');
    expect(b?.instanceId).toBe('i-2');
    expect(again?.instanceId).toBe('i-1');
    expect(gone).toBeUndefined();
    expect(unknown).toBeUndefined();
  });

  it('splits at maxBatch and fails every waiter of a failed call', async () => {
    const ec2 = fakeEc2({});
    const d = new InstanceDescriber({ ec2, windowMs: 5, maxBatch: 2 });
    await Promise.all(['i-1', 'i-2', 'i-3'].map((id) => d.describe(id)));
    expect(ec2.calls.map((c) => c.Filters?.[0]?.Values)).toEqual([['i-1', 'i-2'], ['i-3']]);

    const failing = new InstanceDescriber({ ec2: { describeInstances: () => Promise.reject(new Error('boom')) }, windowMs: 1 });
    await expect(Promise.all([failing.describe('i-1'), failing.describe('i-2')])).rejects.toThrow('boom');
  });
});
