// `vpcrc cleanup` against the local EC2 (issue 10, item 7): the dry run lists every ENI the
// sandbox cluster's controller owns and deletes nothing; the real run deletes them all (branches,
// then a trunk whose instance is gone) and nothing of another cluster, nor untagged ENIs, nor the
// trunks of running instances. The built CLI runs as a child process, as an operator would run it.
import { spawn } from 'node:child_process';
import { CreateNetworkInterfaceCommand, DescribeNetworkInterfacesCommand, DescribeSubnetsCommand, type Tag } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG_CLUSTER_VALUE, TAG_ENI_OWNER, TAG_ENI_OWNER_VALUE, TAG_INSTANCE_ID, TAG_TRUNK_ENI_ID, tagClusterKey } from '../../src/apis/constants.js';
import { makeSandboxEc2Client } from '../../src/sim/sandbox/ec2-client.js';
import { annotationOf, createGroups, createPod, createPolicy, podManifest, startPodEnv, waitRunningAnnotated, type PodEnv } from './controller-pod/helpers.js';
import { CLI } from './helpers/controller-process.js';
import { waitFor } from './helpers/wait-for.js';

describe('vpcrc cleanup', () => {
  let env: PodEnv;
  const ours: string[] = [];
  const others: string[] = [];
  let liveTrunks: string[] = [];
  // Asynchronous: the local EC2 serves from this very process, so a blocking spawn would starve it.
  const run = (...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, 'cleanup', ...args], {
        env: { ...process.env, AWS_REGION: '', AWS_ENDPOINT_URL_EC2: '', AWS_ACCESS_KEY_ID: 'AKIASANDBOX', AWS_SECRET_ACCESS_KEY: 'sandbox', CLUSTER_NAME: '' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  const ec2Args = () => ['--region', env.sandbox.region, '--ec2-endpoint', env.sandbox.ec2.endpoint];
  const described = async () => {
    const c = makeSandboxEc2Client(env.sandbox.ec2.endpoint, env.sandbox.region);
    try {
      return (await c.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces ?? [];
    } finally {
      c.destroy();
    }
  };

  beforeAll(async () => {
    env = await startPodEnv({ nodes: 'm5.large=1' });
    const [sg] = (await createGroups(env.sandbox, ['cleanup'])) as [string];
    await createPolicy(env, 'default', 'c', { podSelector: { matchLabels: { app: 'c' } }, groupIds: [sg] });
    await waitFor(() => env.controller.ctx.informers.policies.get('default/c'), { what: 'policy cached' });
    for (const name of ['c1', 'c2']) await createPod(env, podManifest('default', name, { app: 'c' }));
    for (const name of ['c1', 'c2']) ours.push(...(annotationOf(await waitRunningAnnotated(env, 'default', name)) ?? []).map((e) => e.eniId));
    // Uninstall: the controller goes first.
    await env.controller.stop();
    const all = await described();
    liveTrunks = all.filter((e) => e.InterfaceType === 'trunk').map((e) => e.NetworkInterfaceId as string);
    const c = makeSandboxEc2Client(env.sandbox.ec2.endpoint, env.sandbox.region);
    try {
      const subnetId = (await c.send(new DescribeSubnetsCommand({}))).Subnets?.[0]?.SubnetId as string;
      const mk = async (tags: Tag[], trunk = false) =>
        (await c.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, ...(trunk ? { InterfaceType: 'trunk' } : {}), TagSpecifications: [{ ResourceType: 'network-interface', Tags: tags }] }))).NetworkInterface
          ?.NetworkInterfaceId as string;
      const owner = { Key: TAG_ENI_OWNER, Value: TAG_ENI_OWNER_VALUE };
      // Ours: a trunk left by an instance that is gone.
      ours.push(await mk([owner, { Key: tagClusterKey(env.sandbox.clusterName), Value: TAG_CLUSTER_VALUE }, { Key: TAG_INSTANCE_ID, Value: 'i-0123456789abcdef0' }], true));
      // Another cluster's branch and trunk, and an ENI nobody tagged.
      others.push(await mk([owner, { Key: tagClusterKey('other-cluster'), Value: TAG_CLUSTER_VALUE }, { Key: TAG_TRUNK_ENI_ID, Value: 'eni-0123456789abcdef0' }]));
      others.push(await mk([owner, { Key: tagClusterKey('other-cluster'), Value: TAG_CLUSTER_VALUE }, { Key: TAG_INSTANCE_ID, Value: 'i-0123456789abcdef1' }], true));
      others.push(await mk([]));
    } finally {
      c.destroy();
    }
  }, 90_000);
  afterAll(async () => {
    await env?.stop();
  });

  it('without --cluster-name it is a usage error (exit 2) naming the flag', async () => {
    const r = await run(...ec2Args());
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('--cluster-name is required');
  });

  it('--dry-run lists every owned ENI and the kept trunk, and deletes nothing', async () => {
    const before = (await described()).length;
    const r = await run('--cluster-name', env.sandbox.clusterName, '--dry-run', ...ec2Args());
    expect(r.status, r.stderr).toBe(0);
    for (const id of ours) expect(r.stdout).toContain(id);
    for (const id of others) expect(r.stdout).not.toContain(id);
    for (const id of liveTrunks) expect(r.stdout).toMatch(new RegExp(`kept +${id}`));
    expect(r.stdout).toContain(`would delete 2 branch and 1 trunk ENIs of cluster ${env.sandbox.clusterName}`);
    expect((await described()).length).toBe(before);
  });

  it('deletes every owned ENI of the cluster and nothing of another cluster', async () => {
    const r = await run('--cluster-name', env.sandbox.clusterName, ...ec2Args());
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('deleted 3 of 3 ENIs');
    const left = new Set((await described()).map((e) => e.NetworkInterfaceId));
    for (const id of ours) expect(left.has(id), `${id} deleted`).toBe(false);
    for (const id of others) expect(left.has(id), `${id} kept`).toBe(true);
    for (const id of liveTrunks) expect(left.has(id), `live trunk ${id} kept`).toBe(true);
    // A second run has nothing left to do.
    const again = await run('--cluster-name', env.sandbox.clusterName, ...ec2Args());
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('deleting 0 branch and 0 trunk ENIs');
  });
});
