// The VPC CNI stand-in: CNINode features in both orders (the upgrade race) on the CNINodes the
// controller creates (it runs with its node side only), legacy label mode, custom-networking
// ENIConfigs, and node churn. Without the controller: cni-waits-for-controller.test.ts.
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { CNINODE_GROUP, CNINODE_PLURAL, CNINODE_VERSION, ENICONFIG_GROUP, ENICONFIG_PLURAL, ENICONFIG_VERSION } from '../../../src/apis/constants.js';
import { mergePatchNode } from '../../../src/kube/patch.js';
import { makeSandboxEc2Client } from '../../../src/sim/sandbox/ec2-client.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { nodeSideController, withSandbox, type SandboxHandle } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

interface Feature {
  name: string;
  value?: string;
}
interface CniNodeObj {
  metadata: { name: string; resourceVersion?: string };
  spec?: { features?: Feature[]; tags?: Record<string, string> };
}

const cniRef = { group: CNINODE_GROUP, version: CNINODE_VERSION, plural: CNINODE_PLURAL };

async function cniNode(env: SandboxHandle, name: string): Promise<CniNodeObj | undefined> {
  try {
    return (await env.sandbox.kubeConfigFor('admin').makeApiClient(CustomObjectsApi).getClusterCustomObject({ ...cniRef, name })) as CniNodeObj;
  } catch {
    return undefined;
  }
}

/** Records every distinct feature list a CNINode goes through, by polling until `done`. */
async function featureHistory(env: SandboxHandle, name: string, done: (f: Feature[]) => boolean): Promise<Feature[][]> {
  const seen: Feature[][] = [];
  await waitFor(
    async () => {
      const f = (await cniNode(env, name))?.spec?.features ?? [];
      if (JSON.stringify(seen[seen.length - 1]) !== JSON.stringify(f)) seen.push(f);
      return done(f);
    },
    { what: `features of ${name}`, intervalMs: 10 },
  );
  return seen.filter((f) => f.length > 0);
}

describe('custom networking, SecurityGroupsForPods first (the CNI upgrade race)', () => {
  const env = withSandbox({ nodes: 'm5.large=1', customNetworking: true, featureOrder: 'sgp-first', featureDelayMs: 400, controller: nodeSideController() });

  it('adds SecurityGroupsForPods, then CustomNetworking with the zone ENIConfig', async () => {
    const [name] = env.sandbox.nodeNames();
    const zone = env.sandbox.nodeAgent(name as string)?.facts.availabilityZone as string;
    const history = await featureHistory(env, name as string, (f) => f.length === 2);
    expect(history).toEqual([[{ name: 'SecurityGroupsForPods' }], [{ name: 'SecurityGroupsForPods' }, { name: 'CustomNetworking', value: zone }]]);
    // what the CNI sees with its own identity
    const out = await kubectlOk(['get', 'cninodes', '-o', 'jsonpath={.items[*].spec.features[*].name}'], { context: 'aws-node' });
    expect(out).toBe('SecurityGroupsForPods CustomNetworking');
  });

  it('created one ENIConfig per zone with its own subnet and security group in the VPC', async () => {
    const custom = env.sandbox.kubeConfigFor('admin').makeApiClient(CustomObjectsApi);
    const list = (await custom.listClusterCustomObject({ group: ENICONFIG_GROUP, version: ENICONFIG_VERSION, plural: ENICONFIG_PLURAL })) as {
      items: { metadata: { name: string }; spec: { subnet: string; securityGroups: string[] } }[];
    };
    expect(list.items.map((i) => i.metadata.name).sort()).toEqual(['us-west-2a', 'us-west-2b', 'us-west-2c']);
    const ec2 = makeSandboxEc2Client(env.sandbox.ec2.endpoint, env.sandbox.region);
    try {
      for (const item of list.items) {
        const subnets = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [item.spec.subnet] }));
        expect(subnets.Subnets?.[0]?.AvailabilityZone).toBe(item.metadata.name);
        expect(subnets.Subnets?.[0]?.VpcId).toBe(env.sandbox.vpcId);
        const groups = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: item.spec.securityGroups }));
        expect(groups.SecurityGroups?.[0]?.VpcId).toBe(env.sandbox.vpcId);
        expect(env.sandbox.eniConfigs[item.metadata.name]?.subnetId).toBe(item.spec.subnet);
      }
      // node subnets and ENIConfig subnets are distinct
      const nodeSubnetIds = new Set((await ec2.send(new DescribeSubnetsCommand({}))).Subnets?.map((s) => s.SubnetId));
      expect(nodeSubnetIds.size).toBe(6);
    } finally {
      ec2.destroy();
    }
  });
});

describe('custom networking, CustomNetworking first', () => {
  const env = withSandbox({ nodes: 'c5.xlarge=1', customNetworking: true, featureOrder: 'cn-first', featureDelayMs: 200, controller: nodeSideController() });

  it('adds CustomNetworking, then SecurityGroupsForPods', async () => {
    const [name] = env.sandbox.nodeNames();
    const history = await featureHistory(env, name as string, (f) => f.length === 2);
    expect(history.map((f) => f.map((x) => x.name))).toEqual([['CustomNetworking'], ['CustomNetworking', 'SecurityGroupsForPods']]);
  });

  it('removes a node: instance terminated, Node gone, its pods collected', async () => {
    const name = env.sandbox.nodeNames()[0] as string;
    const instanceId = env.sandbox.nodeAgent(name)?.facts.instanceId as string;
    const core = env.sandbox.kubeConfigFor('admin').makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'pinned' }, spec: { nodeSelector: { 'kubernetes.io/hostname': name }, containers: [{ name: 'app', image: 'nginx' }] } },
    });
    await waitFor(async () => (await core.readNamespacedPod({ name: 'pinned', namespace: 'default' })).status?.phase === 'Running', { what: 'pinned Running' });
    await env.sandbox.removeNode(name);
    await expect(core.readNamespacedPod({ name: 'pinned', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
    await expect(core.readNode({ name })).rejects.toMatchObject({ code: 404 });
    const inst = [...env.sandbox.ec2.world.allInstances()].find((i) => i.instanceId === instanceId);
    expect(inst?.state).not.toBe('running');
    expect(env.sandbox.nodeNames()).not.toContain(name);
  });
});

describe('legacy label mode', () => {
  const env = withSandbox({ nodes: 'm5.large=2', cniMode: 'label', customNetworking: true });

  it('asks for a trunk with has-trunk-attached=false and names the ENIConfig by label', async () => {
    const core = env.sandbox.kubeConfigFor('admin').makeApiClient(CoreV1Api);
    for (const name of env.sandbox.nodeNames()) {
      const labels = await waitFor(
        async () => {
          const l = (await core.readNode({ name })).metadata?.labels ?? {};
          return l['vpc.amazonaws.com/has-trunk-attached'] === 'false' && l;
        },
        { what: `label on ${name}` },
      );
      expect(labels['vpc.amazonaws.com/eniConfig']).toBe(labels['topology.kubernetes.io/zone']);
    }
    // no CNINodes in label mode
    const list = (await env.sandbox.kubeConfigFor('admin').makeApiClient(CustomObjectsApi).listClusterCustomObject(cniRef)) as { items: unknown[] };
    expect(list.items).toEqual([]);
  });

  it('does not overwrite the controller answer', async () => {
    const name = env.sandbox.nodeNames()[0] as string;
    const controllerCore = env.sandbox.kubeConfigFor('controller').makeApiClient(CoreV1Api);
    await mergePatchNode(controllerCore, name, { metadata: { labels: { 'vpc.amazonaws.com/has-trunk-attached': 'true' } } });
    // The agent sees that update (and heartbeats) and must leave the label alone; give it time to react.
    await new Promise((r) => setTimeout(r, 300));
    const core = env.sandbox.kubeConfigFor('admin').makeApiClient(CoreV1Api);
    expect((await core.readNode({ name })).metadata?.labels?.['vpc.amazonaws.com/has-trunk-attached']).toBe('true');
    expect(await env.kubectlOk(['get', 'nodes', '-l', 'vpc.amazonaws.com/has-trunk-attached=true', '-o', 'name'])).toBe(`node/${name}\n`);
  });
});
