import { describe, expect, it } from 'vitest';
import { failedSchedulingMessage, type NodeFailure } from '../../../src/sim/kube/scheduler/failed-scheduling-message.js';

const podEni: NodeFailure = { reasons: ['Insufficient vpc.amazonaws.com/pod-eni'], resolvable: true };
const selector: NodeFailure = { reasons: ["node(s) didn't match Pod's node affinity/selector"], resolvable: false };
const cpu: NodeFailure = { reasons: ['Insufficient cpu'], resolvable: true };
const cpuMem: NodeFailure = { reasons: ['Insufficient cpu', 'Insufficient memory'], resolvable: true };
const taint: NodeFailure = { reasons: ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'], resolvable: false };
const cordoned: NodeFailure = { reasons: ['node(s) were unschedulable'], resolvable: false };
const tooMany: NodeFailure = { reasons: ['Too many pods'], resolvable: true };

describe('failedSchedulingMessage (kube-scheduler 1.32 FitError wording)', () => {
  it.each<[string, number, NodeFailure[], string]>([
    [
      'all nodes out of pod-eni',
      5,
      [podEni, podEni, podEni, podEni, podEni],
      '0/5 nodes are available: 5 Insufficient vpc.amazonaws.com/pod-eni. preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.',
    ],
    [
      'selector and cpu, counted and sorted as strings',
      3,
      [cpu, selector, cpu],
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
    ],
    [
      'several reasons from one node are each counted',
      2,
      [cpuMem, cpu],
      '0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    ],
    [
      'taint only: preemption cannot help',
      1,
      [taint],
      '0/1 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    ],
    [
      'cordoned and too many pods (as seen on real clusters)',
      3,
      [cordoned, tooMany, tooMany],
      '0/3 nodes are available: 1 node(s) were unschedulable, 2 Too many pods. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    ],
    [
      'ten nodes sort "10 ..." before "2 ..." as kube-scheduler does (string sort)',
      12,
      [...Array<NodeFailure>(10).fill(podEni), selector, selector],
      "0/12 nodes are available: 10 Insufficient vpc.amazonaws.com/pod-eni, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/12 nodes are available: 10 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
    ],
  ])('%s', (_name, n, failures, expected) => {
    expect(failedSchedulingMessage(n, failures)).toBe(expected);
  });

  it('says there are no nodes when the cluster has none', () => {
    expect(failedSchedulingMessage(0, [])).toBe('no nodes available to schedule pods');
  });
});
