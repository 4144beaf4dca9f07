import type { NetworkInterface } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { BranchBook } from '../../../../src/domain/branch-book.js';
import { runGcPass, type GcDeps } from '../../../../src/controllers/pod/gc.js';
import { silentLogger } from '../../../../src/observability/logger.js';
import { scriptedEc2 } from '../../helpers/scripted-ec2.js';

const eni = (id: string, tags: Record<string, string>): NetworkInterface => ({ NetworkInterfaceId: id, TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
const podTags = (uid: string) => ({ 'vpcresources.k8s.aws/pod-uid': uid, 'vpcresources.k8s.aws/pod-namespace': 'ns', 'vpcresources.k8s.aws/pod-name': `p-${uid}`, 'vpcresources.k8s.aws/trunk-eni-id': 'eni-trunk' });

function deps(enis: NetworkInterface[], over: Partial<GcDeps> = {}): GcDeps & { filters: unknown[] } {
  const filters: unknown[] = [];
  const { ec2 } = scriptedEc2({
    describeNetworkInterfaces: (input) => {
      filters.push(input.Filters);
      return enis;
    },
  });
  return {
    ec2,
    filters,
    clusterName: 'c1',
    book: new BranchBook(),
    podByUid: () => undefined,
    allocating: new Set(),
    trunkNode: (t) => (t === 'eni-trunk' ? 'node-1' : undefined),
    annotatedEnis: () => new Set(),
    now: () => 1000,
    logger: silentLogger(),
    ...over,
  };
}

describe('runGcPass', () => {
  it('asks EC2 only for this cluster’s branch ENIs', async () => {
    const d = deps([]);
    await runGcPass(d);
    expect(d.filters[0]).toEqual([
      { Name: 'tag:eks:eni:owner', Values: ['eks-vpc-resource-controller'] },
      { Name: 'tag:kubernetes.io/cluster/c1', Values: ['owned'] },
      { Name: 'description', Values: ['aws-k8s-branch-eni'] },
    ]);
  });

  it('hands over ENIs no live pod holds, and leaves tracked, annotated, live and in-flight ones alone', async () => {
    const book = new BranchBook();
    book.ensureNode('node-1', { trunkEniId: 'eni-trunk', branchLimit: 5 });
    book.record('node-1', { eniId: 'eni-tracked', vlanId: 1, pod: { uid: 'u-t', namespace: 'ns', name: 't' }, index: 0, phase: 'active' });
    const live = { metadata: { uid: 'u-live' }, status: { phase: 'Running' } };
    const done = { metadata: { uid: 'u-done' }, status: { phase: 'Succeeded' } };
    const d = deps(
      [
        eni('eni-tracked', podTags('u-t')),
        eni('eni-annotated', {}),
        eni('eni-live', podTags('u-live')),
        eni('eni-inflight', podTags('u-new')),
        eni('eni-gone', podTags('u-gone')),
        eni('eni-finished', podTags('u-done')),
        eni('eni-untagged', {}),
      ],
      {
        book,
        podByUid: (uid) => (uid === 'u-live' ? live : uid === 'u-done' ? done : undefined),
        allocating: new Set(['u-new']),
        annotatedEnis: () => new Set(['eni-annotated']),
      },
    );
    const out = await runGcPass(d);
    expect(out.map((i) => i.eniId)).toEqual(['eni-gone', 'eni-finished', 'eni-untagged']);
    expect(out[0]).toMatchObject({ nodeName: 'node-1', orphan: true, immediate: false, since: 1000, pod: { uid: 'u-gone', namespace: 'ns', name: 'p-u-gone' } });
    expect(out[2]).toMatchObject({ nodeName: '', pod: { uid: '', name: '' } });
    // A second pass finds them already handed over.
    expect(await runGcPass(d)).toEqual([]);
  });
});
