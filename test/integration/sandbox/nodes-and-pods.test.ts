// Nodes, scheduling and pod lifecycle in the sandbox, driven through client-node and the real
// kubectl. No controller: the tests play its part (capacity patches, pod annotations) with the
// controller identity.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ANNOTATION_COMPLETE_AFTER_SECONDS, ANNOTATION_POD_ENI, RESOURCE_POD_ENI } from '../../../src/apis/constants.js';
import { mergePatchNodeStatus, mergePatchPod } from '../../../src/kube/patch.js';
import { withSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

const env = withSandbox({ nodes: 'm5.large=2,c5.xlarge=1', retryUnschedulableMs: 60_000 });
const admin = (): CoreV1Api => env.sandbox.kubeConfigFor('admin').makeApiClient(CoreV1Api);
const asController = (): CoreV1Api => env.sandbox.kubeConfigFor('controller').makeApiClient(CoreV1Api);

function podBody(name: string, opts: { eni?: boolean; annotations?: Record<string, string> } = {}): V1Pod {
  return {
    metadata: { name, namespace: 'default', ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'nginx',
          ...(opts.eni ? { resources: { requests: { [RESOURCE_POD_ENI]: '1' }, limits: { [RESOURCE_POD_ENI]: '1' } } } : {}),
        },
      ],
    },
  };
}

async function pod(name: string): Promise<V1Pod | undefined> {
  try {
    return await admin().readNamespacedPod({ name, namespace: 'default' });
  } catch {
    return undefined;
  }
}

async function failedSchedulingMessages(name: string): Promise<string[]> {
  const evs = await admin().listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${name}` });
  return evs.items.filter((e) => e.reason === 'FailedScheduling').map((e) => e.message ?? '');
}

describe('sandbox nodes', () => {
  it('registers one Ready node per instance with providerID, labels and max-pods', async () => {
    const nodes = await waitFor(
      async () => {
        const list = await admin().listNode();
        return list.items.length === 3 && list.items.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) && list.items;
      },
      { what: '3 Ready nodes' },
    );
    const instances = [...env.sandbox.ec2.world.allInstances()];
    for (const n of nodes) {
      const labels = n.metadata?.labels ?? {};
      const type = labels['node.kubernetes.io/instance-type'];
      expect(n.metadata?.name).toMatch(/^ip-10-0-\d+-\d+\.us-west-2\.compute\.internal$/);
      expect(labels['kubernetes.io/os']).toBe('linux');
      expect(labels['kubernetes.io/hostname']).toBe(n.metadata?.name);
      expect(labels['topology.kubernetes.io/zone']).toMatch(/^us-west-2[abc]$/);
      const m = /^aws:\/\/\/(us-west-2[abc])\/(i-[0-9a-f]+)$/.exec(n.spec?.providerID ?? '');
      expect(m?.[1]).toBe(labels['topology.kubernetes.io/zone']);
      expect(instances.map((i) => i.instanceId)).toContain(m?.[2]);
      expect(n.status?.capacity?.pods).toBe(type === 'm5.large' ? '29' : '58');
    }
    // spread over zones
    expect(new Set(nodes.map((n) => n.metadata?.labels?.['topology.kubernetes.io/zone'])).size).toBe(3);
  });

  it('shows the nodes through kubectl', async () => {
    const out = await env.kubectlOk(['get', 'nodes', '-L', 'node.kubernetes.io/instance-type']);
    expect(out).toMatch(/NAME\s+STATUS/);
    expect(out.match(/\bReady\b/g)?.length).toBe(3);
    expect(out).toContain('c5.xlarge');
  });
});

describe('pods', () => {
  it('runs a pod without pod-eni and gives it an address from the node', async () => {
    await admin().createNamespacedPod({ namespace: 'default', body: podBody('plain') });
    const p = await waitFor(async () => {
      const got = await pod('plain');
      return got?.status?.phase === 'Running' && got;
    }, { what: 'pod plain Running' });
    expect(p.spec?.nodeName).toBeTruthy();
    expect(p.status?.podIP).toMatch(/^100\.6\d\.\d+\.\d+$/);
    expect(p.status?.hostIP).toMatch(/^10\.0\./);
    const out = await env.kubectlOk(['get', 'pod', 'plain']);
    expect(out).toMatch(/plain\s+1\/1\s+Running\s+0/);
  });

  it('explains a pod-eni pod it cannot place, then places it once capacity appears; it runs only once annotated', async () => {
    await admin().createNamespacedPod({ namespace: 'default', body: podBody('eni-1', { eni: true }) });
    const expected =
      '0/3 nodes are available: 3 Insufficient vpc.amazonaws.com/pod-eni. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    await waitFor(async () => (await failedSchedulingMessages('eni-1')).includes(expected), { what: 'FailedScheduling event' });
    const described = await env.kubectlOk(['describe', 'pod', 'eni-1']);
    expect(described).toContain('FailedScheduling');
    expect(described).toContain('default-scheduler');
    expect(described).toContain('3 Insufficient vpc.amazonaws.com/pod-eni');

    // The controller advertises 1 branch ENI on one node (capacity only, as the real one does).
    const nodeName = env.sandbox.nodeNames()[0] as string;
    await mergePatchNodeStatus(asController(), nodeName, { status: { capacity: { [RESOURCE_POD_ENI]: '1' } } });
    // kubelet mirrors it into allocatable
    await waitFor(async () => (await admin().readNode({ name: nodeName })).status?.allocatable?.[RESOURCE_POD_ENI] === '1', { what: 'allocatable mirrored' });
    const bound = await waitFor(async () => {
      const got = await pod('eni-1');
      return got?.spec?.nodeName ? got : undefined;
    }, { what: 'eni-1 bound' });
    expect(bound.spec?.nodeName).toBe(nodeName);
    // ContainerCreating until annotated
    await waitFor(async () => (await pod('eni-1'))?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating', { what: 'ContainerCreating' });
    expect(await env.kubectlOk(['get', 'pod', 'eni-1'])).toMatch(/eni-1\s+0\/1\s+ContainerCreating/);
    const annotation = JSON.stringify([{ eniId: 'eni-0aa', ifAddress: '02:b0:01:6c:b5:79', privateIp: '10.0.26.162', vlanId: 1, subnetCidr: '10.0.0.0/19' }]);
    await mergePatchPod(asController(), 'default', 'eni-1', { metadata: { annotations: { [ANNOTATION_POD_ENI]: annotation } } });
    const running = await waitFor(async () => {
      const got = await pod('eni-1');
      return got?.status?.phase === 'Running' && got;
    }, { what: 'eni-1 Running' });
    expect(running.status?.podIP).toBe('10.0.26.162');

    // Capacity is now full: a second pod-eni pod waits, and is placed once the first is deleted.
    await admin().createNamespacedPod({ namespace: 'default', body: podBody('eni-2', { eni: true }) });
    await waitFor(async () => (await failedSchedulingMessages('eni-2')).includes(expected), { what: 'FailedScheduling for eni-2' });
    expect((await pod('eni-2'))?.spec?.nodeName).toBeFalsy();
    await admin().deleteNamespacedPod({ name: 'eni-1', namespace: 'default' });
    await waitFor(async () => (await pod('eni-1')) === undefined, { what: 'eni-1 gone' });
    await waitFor(async () => (await pod('eni-2'))?.spec?.nodeName === nodeName, { what: 'eni-2 bound after eni-1 left' });
  });

  it('keeps extended capacity across heartbeats, and can be made to forget it', async () => {
    const nodeName = env.sandbox.nodeNames()[1] as string;
    await mergePatchNodeStatus(asController(), nodeName, { status: { capacity: { [RESOURCE_POD_ENI]: '9' } } });
    await waitFor(async () => (await admin().readNode({ name: nodeName })).status?.allocatable?.[RESOURCE_POD_ENI] === '9', { what: 'allocatable 9' });
    // a heartbeat (2 s in tests) goes by; the capacity stays
    const before = (await admin().readNode({ name: nodeName })).status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;
    await waitFor(
      async () => String((await admin().readNode({ name: nodeName })).status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime) !== String(before),
      { what: 'a heartbeat', timeoutMs: 5000 },
    );
    expect((await admin().readNode({ name: nodeName })).status?.capacity?.[RESOURCE_POD_ENI]).toBe('9');
    await env.sandbox.nodeAgent(nodeName)?.removeExtendedResource(RESOURCE_POD_ENI);
    const node = await admin().readNode({ name: nodeName });
    expect(node.status?.capacity?.[RESOURCE_POD_ENI]).toBeUndefined();
    expect(node.status?.allocatable?.[RESOURCE_POD_ENI]).toBeUndefined();
  });

  it('completes a pod after complete-after-seconds', async () => {
    await admin().createNamespacedPod({ namespace: 'default', body: podBody('job', { annotations: { [ANNOTATION_COMPLETE_AFTER_SECONDS]: '1' } }) });
    await waitFor(async () => (await pod('job'))?.status?.phase === 'Running', { what: 'job Running' });
    const done = await waitFor(async () => {
      const got = await pod('job');
      return got?.status?.phase === 'Succeeded' && got;
    }, { what: 'job Succeeded', timeoutMs: 5000 });
    expect(done.status?.containerStatuses?.[0]?.state?.terminated?.reason).toBe('Completed');
    expect(await env.kubectlOk(['get', 'pod', 'job'])).toMatch(/job\s+0\/1\s+Completed/);
  });

  it('deletes a running pod gracefully through kubectl', async () => {
    await admin().createNamespacedPod({ namespace: 'default', body: podBody('doomed') });
    await waitFor(async () => (await pod('doomed'))?.status?.phase === 'Running', { what: 'doomed Running' });
    const r = await env.kubectl(['delete', 'pod', 'doomed', '--wait=true', '--timeout=15s']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('pod "doomed" deleted');
    expect(await pod('doomed')).toBeUndefined();
  });

  it('honours nodeSelector and taints, and retries when a node changes', async () => {
    await admin().createNamespacedPod({ namespace: 'default', body: { ...podBody('picky'), spec: { ...podBody('picky').spec!, nodeSelector: { tier: 'gold' } } } });
    await waitFor(
      async () =>
        (await failedSchedulingMessages('picky')).includes(
          "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
        ),
      { what: 'selector FailedScheduling' },
    );
    const name = env.sandbox.nodeNames()[2] as string;
    await env.kubectlOk(['taint', 'node', name, 'dedicated=gold:NoSchedule']);
    await env.kubectlOk(['label', 'node', name, 'tier=gold']);
    // The node changed: the scheduler tries again at once and now explains the taint.
    await waitFor(
      async () =>
        (await failedSchedulingMessages('picky')).some((m) =>
          m.startsWith("0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gold}, 2 node(s) didn't match Pod's node affinity/selector."),
        ),
      { what: 'taint FailedScheduling' },
    );
    const tolerant = podBody('tolerant');
    tolerant.spec = { ...tolerant.spec!, nodeSelector: { tier: 'gold' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gold', effect: 'NoSchedule' }] };
    await admin().createNamespacedPod({ namespace: 'default', body: tolerant });
    await waitFor(async () => (await pod('tolerant'))?.spec?.nodeName === name, { what: 'tolerant bound to the gold node' });
    // Removing the taint lets the first pod in too.
    await env.kubectlOk(['taint', 'node', name, 'dedicated=gold:NoSchedule-']);
    await waitFor(async () => (await pod('picky'))?.spec?.nodeName === name, { what: 'picky bound after the taint went' });
    const wide = await env.kubectlOk(['get', 'pods', '-o', 'wide', '--field-selector', `spec.nodeName=${name}`]);
    expect(wide).toMatch(/picky\s+1\/1\s+Running/);
    expect(wide).toContain(name);
  });

  it('does not place pods on a node whose kubelet went silent, and does again once it is back', async () => {
    const names = env.sandbox.nodeNames();
    await Promise.all(names.map((n) => env.sandbox.nodeAgent(n)!.setReady(false)));
    const node = await admin().readNode({ name: names[0] as string });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown' });
    await admin().createNamespacedPod({ namespace: 'default', body: podBody('orphan') });
    await waitFor(
      async () => (await failedSchedulingMessages('orphan')).some((m) => m.startsWith('0/3 nodes are available: 3 node(s) had untolerated taint {node.kubernetes.io/unreachable: }.')),
      { what: 'unreachable FailedScheduling' },
    );
    await env.sandbox.nodeAgent(names[1] as string)?.setReady(true);
    await waitFor(async () => (await pod('orphan'))?.spec?.nodeName === names[1], { what: 'orphan bound to the node that came back' });
    await Promise.all(names.map((n) => env.sandbox.nodeAgent(n)!.setReady(true)));
  });
});
