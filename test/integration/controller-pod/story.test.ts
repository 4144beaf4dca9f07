// The story of contract §1, end to end in the sandbox with real clients: an m5.large node gets a
// trunk (capacity 9, label true); a SecurityGroupPolicy selects `role: demo-sg`; pod `aws-cli` is
// mutated by the webhook (the JSON patch), gets its branch ENI (annotation, exact events), runs with
// podIP = the annotated privateIp; deleted, its ENI is gone from EC2 after the cooldown, and a
// cooldown changed in the ConfigMap takes effect with its event on the Nodes.
import { request } from 'node:https';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BRANCH_ENI_DESCRIPTION,
  CNI_CONFIGMAP_NAME,
  CNI_CONFIGMAP_NAMESPACE,
  CONFIG_KEY_BRANCH_ENI_COOLDOWN,
  LABEL_HAS_TRUNK_ATTACHED,
  REASON_BRANCH_ENI_COOLDOWN_UPDATED,
  REASON_RESOURCE_ALLOCATED,
  REASON_SECURITY_GROUP_REQUESTED,
  RESOURCE_POD_ENI,
  WEBHOOK_PATH_MUTATE_POD,
} from '../../../src/apis/constants.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  annotationOf,
  createGroups,
  eniExists,
  nodeEventsAll,
  podEvents,
  settledInvariants,
  startPodEnv,
  waitRunningAnnotated,
  type PodEnv,
} from './helpers.js';

function postReview(url: string, caPem: string, body: object): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(url, { method: 'POST', ca: caPem, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, json: text });
        }
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

const AWS_CLI_YAML = `
apiVersion: v1
kind: Pod
metadata:
  name: aws-cli
  namespace: default
  labels:
    role: demo-sg
spec:
  containers:
    - name: aws-cli
      image: public.ecr.aws/aws-cli/aws-cli:latest
      command: ["sleep", "3600"]
`;

describe('contract §1: the story a user sees', () => {
  let env: PodEnv;
  let sg: string;
  beforeAll(async () => {
    env = await startPodEnv({ nodes: 'm5.large=1', cooldownSeconds: 2 });
    [sg] = (await createGroups(env.sandbox, ['demo-sg'])) as [string];
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });
  afterEach(async () => {
    expect(await settledInvariants(env)).toEqual([]);
  });

  it('the m5.large node advertises 9 pod-eni and the trunk label', async () => {
    const [node] = (await env.core.listNode()).items;
    expect(node?.metadata?.labels?.[LABEL_HAS_TRUNK_ATTACHED]).toBe('true');
    expect((node?.status?.capacity as Record<string, string>)[RESOURCE_POD_ENI]).toBe('9');
    expect((node?.status?.allocatable as Record<string, string>)[RESOURCE_POD_ENI]).toBe('9');
  });

  it('the mutating webhook answers a matching pod with the contract JSON patch', async () => {
    const policy = `apiVersion: vpcresources.k8s.aws/v1beta1
kind: SecurityGroupPolicy
metadata:
  name: demo-sgp
  namespace: default
spec:
  podSelector:
    matchLabels:
      role: demo-sg
  securityGroups:
    groupIds:
      - ${sg}
`;
    const { kubectlOk } = await import('../helpers/kubectl.js');
    await kubectlOk(['apply', '-f', '-'], { kubeconfig: env.sandbox.kubeconfigPath, input: policy });
    const wh = env.controller.webhooks();
    expect(wh).toBeDefined();
    // Wait until the controller's cache has the policy, then ask the webhook as the API server would.
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'story-1',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        namespace: 'default',
        operation: 'CREATE',
        userInfo: { username: 'kubernetes-admin' },
        object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'aws-cli', namespace: 'default', labels: { role: 'demo-sg' } }, spec: { containers: [{ name: 'aws-cli', image: 'x', resources: {} }] } },
      },
    };
    const res = await waitFor(
      async () => {
        const r = await postReview(`${wh!.url}${WEBHOOK_PATH_MUTATE_POD}`, wh!.caPem, review);
        const resp = (r.json as { response?: { patch?: string } }).response;
        return resp?.patch ? { r, resp } : undefined;
      },
      { what: 'the webhook to patch the pod' },
    );
    expect(res.r.status).toBe(200);
    expect((res.resp as { allowed?: boolean; patchType?: string }).allowed).toBe(true);
    expect((res.resp as { patchType?: string }).patchType).toBe('JSONPatch');
    const patch = JSON.parse(Buffer.from(res.resp.patch!, 'base64').toString('utf8')) as unknown;
    expect(patch).toEqual([
      { op: 'add', path: '/spec/containers/0/resources/limits', value: { [RESOURCE_POD_ENI]: '1' } },
      { op: 'add', path: '/spec/containers/0/resources/requests', value: { [RESOURCE_POD_ENI]: '1' } },
    ]);
  });

  let eniId = '';
  it('pod aws-cli gets the resource, its branch ENI, the annotation and the two events, and runs on the annotated IP', async () => {
    const { kubectlOk } = await import('../helpers/kubectl.js');
    await kubectlOk(['apply', '-f', '-'], { kubeconfig: env.sandbox.kubeconfigPath, input: AWS_CLI_YAML });
    const pod = await waitRunningAnnotated(env, 'default', 'aws-cli');
    const c0 = pod.spec?.containers[0];
    expect((c0?.resources?.limits as Record<string, string>)[RESOURCE_POD_ENI]).toBe('1');
    expect((c0?.resources?.requests as Record<string, string>)[RESOURCE_POD_ENI]).toBe('1');

    const ann = annotationOf(pod)!;
    expect(ann).toHaveLength(1);
    const entry = ann[0]!;
    eniId = entry.eniId;
    const eni = env.sandbox.ec2.world.listEnis().find((e) => e.networkInterfaceId === entry.eniId)!;
    expect(eni).toBeDefined();
    const subnet = [...env.sandbox.ec2.world.allSubnets()].find((s) => s.subnetId === eni.subnetId)!;
    const mac = env.sandbox.ec2.world.getEni(eni.networkInterfaceId)?.macAddress;
    // associationID: EC2's AssociateTrunkInterface answer, as upstream writes it (contract §3, issue 9).
    const association = env.sandbox.ec2.world.listTrunkAssociations().find((a) => a.branchInterfaceId === eni.networkInterfaceId);
    expect(entry).toEqual({ eniId: eni.networkInterfaceId, ifAddress: mac, privateIp: eni.privateIpAddress, vlanId: 1, subnetCidr: subnet.cidrBlock, associationID: association?.associationId });
    expect(entry.associationID).toMatch(/^trunk-assoc-/);
    expect(Object.keys(entry)).toEqual(['eniId', 'ifAddress', 'privateIp', 'vlanId', 'subnetCidr', 'associationID']);
    expect(pod.status?.podIP).toBe(entry.privateIp);
    // The branch ENI: the policy's groups, the trunk's subnet, associated on VLAN 1, tagged.
    expect(eni.groups).toEqual([sg]);
    expect(eni.interfaceType).toBe('branch');
    const trunk = env.sandbox.ec2.world.listEnis().find((e) => e.interfaceType === 'trunk')!;
    expect(eni.subnetId).toBe(trunk.subnetId);
    expect(env.sandbox.ec2.world.listTrunkAssociations()).toEqual([expect.objectContaining({ trunkInterfaceId: trunk.networkInterfaceId, branchInterfaceId: eni.networkInterfaceId, vlanId: 1 })]);
    expect(eni.tags).toMatchObject({
      'eks:eni:owner': 'eks-vpc-resource-controller',
      [`kubernetes.io/cluster/${env.sandbox.clusterName}`]: 'owned',
      'node.k8s.amazonaws.com/instance_id': trunk.attachment?.instanceId,
      'vpcresources.k8s.aws/trunk-eni-id': trunk.networkInterfaceId,
      'vpcresources.k8s.aws/vlan-id': '1',
      'vpcresources.k8s.aws/pod-namespace': 'default',
      'vpcresources.k8s.aws/pod-name': 'aws-cli',
      'vpcresources.k8s.aws/pod-uid': pod.metadata?.uid,
    });
    const described = env.sandbox.ec2.world.getEni(eni.networkInterfaceId);
    expect(described?.description).toBe(BRANCH_ENI_DESCRIPTION);

    const raw = pod.metadata?.annotations?.['vpc.amazonaws.com/pod-eni'] ?? '';
    const events = await waitFor(
      async () => {
        const evs = await podEvents(env, 'default', 'aws-cli');
        return evs.some((e) => e.reason === REASON_RESOURCE_ALLOCATED) ? evs : undefined;
      },
      { what: 'ResourceAllocated event' },
    );
    const requested = events.find((e) => e.reason === REASON_SECURITY_GROUP_REQUESTED);
    const allocated = events.find((e) => e.reason === REASON_RESOURCE_ALLOCATED);
    expect(requested).toMatchObject({ type: 'Normal', message: `Pod will get the following Security Groups [${sg}]`, source: { component: 'vpc-resource-controller' } });
    expect(allocated).toMatchObject({ type: 'Normal', message: `Allocated ${raw} to the pod`, source: { component: 'vpc-resource-controller' } });
    // Allocated once: a reconcile that runs again before the cache shows the annotation does not repeat it.
    expect(allocated?.count).toBe(1);
    expect(requested?.count).toBe(1);

    // What `kubectl describe pod aws-cli` shows.
    const { kubectlOk: k } = await import('../helpers/kubectl.js');
    const described2 = await k(['describe', 'pod', 'aws-cli'], { kubeconfig: env.sandbox.kubeconfigPath });
    // kubectl wraps long annotations onto the next line, and shows only the start of one longer than
    // 140 characters, then "..." (describe's maxAnnotationLen): with associationID the annotation is that long.
    const shown = described2.replace(/\s+/g, ' ');
    if (raw.length <= 140) expect(shown).toContain(`vpc.amazonaws.com/pod-eni: ${raw}`);
    else {
      const cut = /vpc\.amazonaws\.com\/pod-eni: (\S+)\.\.\. /.exec(shown)?.[1] ?? '';
      expect(cut.length).toBeGreaterThanOrEqual(137);
      expect(raw.startsWith(cut)).toBe(true);
    }
    expect(described2).toMatch(/ResourceAllocated\s+\S+\s+vpc-resource-controller\s+Allocated \[/);
    expect(described2).toMatch(/SecurityGroupRequested\s+.*vpc-resource-controller\s+Pod will get the following Security Groups \[/);
    // Scheduled → annotated was measured.
    const tta = await env.controller.ctx.registry.getSingleMetricAsString('vpcrc_pod_time_to_annotation_seconds');
    expect(tta).toMatch(/vpcrc_pod_time_to_annotation_seconds_count 1\b/);
    expect(await settledInvariants(env)).toEqual([]);
  });

  it('a cooldown changed in the ConfigMap takes effect, announced on the Nodes', async () => {
    await env.core.patchNamespacedConfigMap(
      { name: CNI_CONFIGMAP_NAME, namespace: CNI_CONFIGMAP_NAMESPACE, body: { data: { [CONFIG_KEY_BRANCH_ENI_COOLDOWN]: '3' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const ev = await waitFor(
      async () => (await nodeEventsAll(env)).find((e) => e.reason === REASON_BRANCH_ENI_COOLDOWN_UPDATED),
      { what: 'BranchENICoolDownPeriodUpdated on the node' },
    );
    expect(ev.type).toBe('Normal');
    expect(ev.message).toBe('Branch ENI cool down period has been updated to 3s');
  });

  it('deleting the pod releases its branch ENI after the cooldown, not before', async () => {
    expect(eniExists(env, eniId)).toBe(true);
    const t0 = Date.now();
    await env.core.deleteNamespacedPod({ namespace: 'default', name: 'aws-cli' });
    await waitFor(() => !eniExists(env, eniId), { timeoutMs: 15_000, what: `branch ENI ${eniId} deleted` });
    const took = Date.now() - t0;
    // Cooldown is 3 s now (changed above): the ENI lives at least that long after the pod goes.
    expect(took).toBeGreaterThanOrEqual(2_900);
    expect(env.sandbox.ec2.world.listTrunkAssociations()).toEqual([]);
    expect(await settledInvariants(env)).toEqual([]);
  });
});
