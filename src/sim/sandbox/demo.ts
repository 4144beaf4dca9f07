// `npm start` (vpcrc sandbox --demo): the story of contract §1 played in the sandbox and told the
// way a user would want to read it — nodes get trunks and capacity, a SecurityGroupPolicy selects
// a pod, the webhook adds the resource, the controller gives the pod its own branch ENI with the
// policy's security group, and takes it back after the cooldown when the pod is deleted.
// Everything goes through the same APIs a user has (kubectl's API, EC2's API); nothing here
// reaches into the controller.
import { CreateSecurityGroupCommand, DescribeNetworkInterfacesCommand, DescribeTrunkInterfaceAssociationsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';
import {
  ANNOTATION_POD_ENI,
  CNI_CONFIGMAP_NAME,
  CNI_CONFIGMAP_NAMESPACE,
  CONFIG_KEY_BRANCH_ENI_COOLDOWN,
  LABEL_HAS_TRUNK_ATTACHED,
  LABEL_INSTANCE_TYPE,
  RESOURCE_POD_ENI,
  SGP_GROUP,
  SGP_KIND,
  SGP_PLURAL,
  SGP_VERSION,
  TAG_INSTANCE_ID,
  TRUNK_ENI_DESCRIPTION,
} from '../../apis/constants.js';
import { readPodEniAnnotation } from './pod-eni-reader.js';
import { makeSandboxEc2Client } from './ec2-client.js';
import type { Sandbox } from './sandbox.js';

export interface DemoOptions {
  /** Where the story goes (the CLI passes console.log). */
  print: (line: string) => void;
  /** Cooldown set in the amazon-vpc-cni ConfigMap for the release step (the controller must allow it). */
  cooldownSeconds?: number;
  /** Longest wait for any one step. Default 90 s. */
  stepTimeoutMs?: number;
}

const NAMESPACE = 'default';
const POD = 'aws-cli';
const POLICY = 'demo-sgp';

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`demo: gave up after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const eventLine = (e: CoreV1Event): string => `  ${(e.type ?? '').padEnd(7)} ${(e.reason ?? '').padEnd(31)} ${(e.source?.component ?? '').padEnd(24)} ${e.message ?? ''}`;

/** Runs the demo; resolves when the story is told, rejects with a clear message when a step fails. */
export async function runDemo(sandbox: Sandbox, opts: DemoOptions): Promise<void> {
  const print = opts.print;
  const timeout = opts.stepTimeoutMs ?? 90_000;
  const admin = sandbox.kubeConfigFor('admin');
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  const ec2: EC2Client = makeSandboxEc2Client(sandbox.ec2.endpoint, sandbox.region);
  try {
    print('');
    print('== Security groups for pods: the demo ==');
    print('');
    // The policy first: the webhook answers from the controller's cache, which then has it long
    // before the pod is created.
    const sg = await ec2.send(new CreateSecurityGroupCommand({ VpcId: sandbox.vpcId, GroupName: `demo-sg-${Date.now().toString(36)}`, Description: 'demo: pods with role=demo-sg' }));
    const groupId = sg.GroupId as string;
    await custom.createNamespacedCustomObject({
      group: SGP_GROUP,
      version: SGP_VERSION,
      plural: SGP_PLURAL,
      namespace: NAMESPACE,
      body: {
        apiVersion: `${SGP_GROUP}/${SGP_VERSION}`,
        kind: SGP_KIND,
        metadata: { name: POLICY, namespace: NAMESPACE },
        spec: { podSelector: { matchLabels: { role: 'demo-sg' } }, securityGroups: { groupIds: [groupId] } },
      },
    });
    print('1. The VPC CNI asks for a trunk on each node; the controller creates it and advertises capacity.');
    const nodes = await until('every node to get a trunk and pod-eni capacity', timeout, async () => {
      const list = (await core.listNode()).items;
      return list.length > 0 && list.every((n) => n.metadata?.labels?.[LABEL_HAS_TRUNK_ATTACHED] === 'true' && n.status?.capacity?.[RESOURCE_POD_ENI]) ? list : undefined;
    });
    const trunks = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'interface-type', Values: ['trunk'] }, { Name: 'description', Values: [TRUNK_ENI_DESCRIPTION] }] }));
    for (const n of nodes) {
      const instanceId = (n.spec?.providerID ?? '').split('/').pop() ?? '';
      const trunk = (trunks.NetworkInterfaces ?? []).find((t) => t.TagSet?.some((tag) => tag.Key === TAG_INSTANCE_ID && tag.Value === instanceId));
      print(
        `   ${n.metadata?.name}  ${n.metadata?.labels?.[LABEL_INSTANCE_TYPE] ?? '?'}  trunk ${trunk?.NetworkInterfaceId ?? '?'}  ` +
          `capacity ${RESOURCE_POD_ENI}: ${n.status?.capacity?.[RESOURCE_POD_ENI]}  label ${LABEL_HAS_TRUNK_ATTACHED}=true`,
      );
    }

    print('');
    print(`2. SecurityGroupPolicy ${NAMESPACE}/${POLICY}: pods labelled role=demo-sg get security group ${groupId}.`);

    print('');
    const created = await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: { metadata: { name: POD, namespace: NAMESPACE, labels: { role: 'demo-sg' } }, spec: { containers: [{ name: POD, image: 'public.ecr.aws/aws-cli/aws-cli:latest', command: ['sleep', '3600'] }] } },
    });
    const res = created.spec?.containers[0]?.resources;
    print(`3. kubectl create pod ${POD} (labels role=demo-sg). The mutating webhook added to container[0]:`);
    print(`   Limits:   ${RESOURCE_POD_ENI}: ${res?.limits?.[RESOURCE_POD_ENI] ?? '(none!)'}`);
    print(`   Requests: ${RESOURCE_POD_ENI}: ${res?.requests?.[RESOURCE_POD_ENI] ?? '(none!)'}`);
    if (!res?.limits?.[RESOURCE_POD_ENI]) throw new Error('demo: the webhook did not add the pod-eni resource (is the controller running with its webhooks?)');

    print('');
    const pod: V1Pod = await until(`pod ${POD} to get its branch ENI and run`, timeout, async () => {
      const p = await core.readNamespacedPod({ namespace: NAMESPACE, name: POD });
      return p.metadata?.annotations?.[ANNOTATION_POD_ENI] && p.status?.phase === 'Running' ? p : undefined;
    });
    const raw = pod.metadata?.annotations?.[ANNOTATION_POD_ENI] ?? '';
    const decoded = readPodEniAnnotation(raw);
    const entry = decoded.ok ? decoded.value[0] : undefined;
    print(`4. Scheduled on ${pod.spec?.nodeName}; the controller created a branch ENI and annotated the pod:`);
    print(`   Annotations: ${ANNOTATION_POD_ENI}: ${raw}`);
    print(`   Status: ${pod.status?.phase}, IP ${pod.status?.podIP} (the branch ENI's address)`);
    const events = await until('the controller events', timeout, async () => {
      const evs = (await core.listNamespacedEvent({ namespace: NAMESPACE })).items.filter((e) => e.involvedObject.name === POD && e.involvedObject.kind === 'Pod');
      return evs.some((e) => e.reason === 'ResourceAllocated') ? evs : undefined;
    });
    print('   Events:');
    // In the order they were written (timestamps have second precision; resourceVersions are ordered in the sandbox).
    for (const e of events.sort((a, b) => Number(a.metadata?.resourceVersion ?? 0) - Number(b.metadata?.resourceVersion ?? 0))) print(`   ${eventLine(e)}`);
    if (entry) {
      const eni = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [entry.eniId] }))).NetworkInterfaces?.[0];
      const assoc = (
        await ec2.send(new DescribeTrunkInterfaceAssociationsCommand({ Filters: [{ Name: 'trunk-interface-association.branch-interface-id', Values: [entry.eniId] }], MaxResults: 255 }))
      ).InterfaceAssociations?.[0];
      print(`   In EC2: ${entry.eniId} (${eni?.Description}) groups [${(eni?.Groups ?? []).map((g) => g.GroupId).join(' ')}], VLAN ${assoc?.VlanId} on trunk ${assoc?.TrunkInterfaceId}`);
    }

    print('');
    const cooldown = opts.cooldownSeconds;
    if (cooldown !== undefined) {
      await core.patchNamespacedConfigMap(
        { name: CNI_CONFIGMAP_NAME, namespace: CNI_CONFIGMAP_NAMESPACE, body: { data: { [CONFIG_KEY_BRANCH_ENI_COOLDOWN]: String(cooldown) } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const ev = await until('the cooldown change to be announced', timeout, async () =>
        (await core.listNamespacedEvent({ namespace: 'default' })).items.find((e) => e.reason === 'BranchENICoolDownPeriodUpdated'),
      );
      print(`5. ConfigMap ${CNI_CONFIGMAP_NAMESPACE}/${CNI_CONFIGMAP_NAME} ${CONFIG_KEY_BRANCH_ENI_COOLDOWN}: "${cooldown}" (demo value; the product floor is 30 s). On the nodes:`);
      print(`   ${eventLine(ev)}`);
    } else {
      print(`5. Branch ENIs are released after the ${CONFIG_KEY_BRANCH_ENI_COOLDOWN} set in ${CNI_CONFIGMAP_NAMESPACE}/${CNI_CONFIGMAP_NAME} (default 60 s).`);
    }

    print('');
    const t0 = Date.now();
    await core.deleteNamespacedPod({ namespace: NAMESPACE, name: POD });
    print(`6. kubectl delete pod ${POD}: its branch ENI waits out the cooldown (so ARP/iptables state for its IP expires), then goes.`);
    if (entry) {
      // Deleted, or (with warm reuse on) kept associated and tagged warm for the next pod with its groups.
      const outcome = await until(`branch ENI ${entry.eniId} to be deleted or kept warm`, timeout + (cooldown ?? 60) * 1000, async () => {
        const out = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: [entry.eniId] }] }));
        const eni = out.NetworkInterfaces?.[0];
        if (!eni) return 'deleted' as const;
        return eni.TagSet?.some((t) => t.Key === 'vpcresources.k8s.aws/warm' && t.Value === 'true') ? ('warm' as const) : undefined;
      });
      const after = ((Date.now() - t0) / 1000).toFixed(1);
      print(
        outcome === 'deleted'
          ? `   ${entry.eniId} disassociated and deleted ${after} s after the pod was deleted.`
          : `   ${entry.eniId} kept warm ${after} s after the pod was deleted: the next pod on this node with the same groups takes it with no EC2 call (branch-eni-warm-seconds; deleted when it expires).`,
      );
    }
    print('');
    print('Demo complete. Try it yourself: export KUBECONFIG=' + sandbox.kubeconfigPath + ' and kubectl get sgp,pods,nodes (with --keep-running).');
  } finally {
    ec2.destroy();
  }
}
