// The CNI stand-in behaves like the real aws-node (v1.15+): it never creates a CNINode. Without the
// controller a node has no CNINode and no trunk, and the stand-in logs its retries; its identity may
// not create one (Forbidden, as the real ClusterRole); it patches features into a CNINode made for
// it, keeping what is there; once the controller runs, every node gets its CNINode and then its
// trunk, in CNINode mode and in legacy label mode.
import { Writable } from 'node:stream';
import { ApiException, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CNINODE_GROUP, CNINODE_PLURAL, CNINODE_VERSION } from '../../../src/apis/constants.js';
import type { RunningController } from '../../../src/controllers/controller.js';
import type { Logger } from '../../../src/observability/logger.js';
import type { Sandbox } from '../../../src/sim/sandbox/sandbox.js';
import { startTestController } from '../controller-node/helpers.js';
import { mergePatchCustomObject } from '../../../src/kube/patch.js';
import { nodeSideController, withSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

interface CniNodeObj {
  metadata: { name: string; uid?: string; finalizers?: string[]; ownerReferences?: { kind: string; name: string }[] };
  spec?: { features?: { name: string; value?: string }[]; tags?: Record<string, string> };
}

const cniRef = { group: CNINODE_GROUP, version: CNINODE_VERSION, plural: CNINODE_PLURAL };

async function cniNode(sandbox: Sandbox, name: string): Promise<CniNodeObj | undefined> {
  try {
    return (await sandbox.kubeConfigFor('admin').makeApiClient(CustomObjectsApi).getClusterCustomObject({ ...cniRef, name })) as CniNodeObj;
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return undefined;
    throw err;
  }
}

const trunkOf = (sandbox: Sandbox, instanceId: string) => sandbox.ec2.world.listEnis().find((e) => e.interfaceType === 'trunk' && e.attachment?.instanceId === instanceId);
const capacity = async (sandbox: Sandbox, name: string): Promise<string | undefined> =>
  ((await sandbox.kubeConfigFor('admin').makeApiClient(CoreV1Api).readNode({ name })).status?.capacity)?.['vpc.amazonaws.com/pod-eni'];

/** Warn-level log lines of the sandbox, parsed. */
function capturingLogger(): { lines: Record<string, unknown>[]; logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'warn' }, stream) };
}

describe('CNINode mode without the controller', () => {
  const logs = capturingLogger();
  const env = withSandbox({ nodes: 'm5.large=1', logger: logs.logger });
  let controller: RunningController | undefined;
  afterAll(async () => {
    await controller?.stop();
  });

  it('waits: no CNINode, no trunk, and its retries are logged', async () => {
    const { sandbox } = env;
    const name = sandbox.nodeNames()[0] as string;
    const agent = sandbox.nodeAgent(name);
    await waitFor(() => (agent?.cniNodeMissingRetries ?? 0) >= 2, { what: 'two retries of the CNI', timeoutMs: 10_000 });
    expect(await cniNode(sandbox, name)).toBeUndefined();
    expect(trunkOf(sandbox, agent?.facts.instanceId ?? '')).toBeUndefined();
    expect(await capacity(sandbox, name)).toBeUndefined();
    const retries = logs.lines.filter((l) => l.node === name && typeof l.msg === 'string' && l.msg.includes('not found') && l.msg.includes('retrying'));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]).toMatchObject({ feature: 'SecurityGroupsForPods', attempt: 1 });
  });

  it('the aws-node identity may not create a CNINode (Forbidden, as its real ClusterRole), but may list them', async () => {
    const { sandbox } = env;
    const name = sandbox.nodeNames()[0] as string;
    const awsNode = sandbox.kubeConfigFor('awsNode').makeApiClient(CustomObjectsApi);
    const err = await awsNode
      .createClusterCustomObject({ ...cniRef, body: { apiVersion: `${CNINODE_GROUP}/${CNINODE_VERSION}`, kind: 'CNINode', metadata: { name } } })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<unknown>).code).toBe(403);
    const status = JSON.parse(String((err as ApiException<unknown>).body)) as { reason: string; message: string };
    expect(status).toMatchObject({
      reason: 'Forbidden',
      message: 'cninodes.vpcresources.k8s.aws is forbidden: User "system:serviceaccount:kube-system:aws-node" cannot create resource "cninodes" in API group "vpcresources.k8s.aws" at the cluster scope',
    });
    await expect(awsNode.listClusterCustomObject(cniRef)).resolves.toMatchObject({ items: [] });
    expect(await cniNode(sandbox, name)).toBeUndefined();
  });

  it('patches its features into a CNINode made for it, keeping what is there', async () => {
    const { sandbox } = env;
    const name = sandbox.nodeNames()[0] as string;
    await sandbox
      .kubeConfigFor('controller')
      .makeApiClient(CustomObjectsApi)
      .createClusterCustomObject({
        ...cniRef,
        body: { apiVersion: `${CNINODE_GROUP}/${CNINODE_VERSION}`, kind: 'CNINode', metadata: { name, labels: { 'kubernetes.io/os': 'linux' } }, spec: { tags: { team: 'x' } } },
      });
    const c = await waitFor(async () => {
      const got = await cniNode(sandbox, name);
      return (got?.spec?.features?.length ?? 0) > 0 && got;
    }, { what: 'feature added' });
    expect(c.spec?.features).toEqual([{ name: 'SecurityGroupsForPods' }]);
    expect(c.spec?.tags).toEqual({ team: 'x' });
    expect(sandbox.nodeAgent(name)?.cniNodeMissingRetries).toBe(0);
  });

  it('once the controller runs, a new node gets its CNINode from the controller and then its trunk', async () => {
    const { sandbox } = env;
    controller = await startTestController(sandbox);
    const [name] = await sandbox.addNodes('m5.large=1');
    const instanceId = sandbox.nodeAgent(name as string)?.facts.instanceId as string;
    const c = await waitFor(() => cniNode(sandbox, name as string), { what: 'CNINode created' });
    expect(c.metadata.finalizers).toEqual(['networking.k8s.aws/resource-cleanup']);
    expect(c.metadata.ownerReferences).toMatchObject([{ kind: 'Node', name }]);
    expect(c.spec?.tags).toMatchObject({ 'node.k8s.amazonaws.com/instance_id': instanceId, 'cluster.k8s.amazonaws.com/name': sandbox.clusterName });
    await waitFor(async () => (await capacity(sandbox, name as string)) === '9', { what: 'trunk and capacity', timeoutMs: 15_000 });
    expect(trunkOf(sandbox, instanceId)).toBeDefined();
    // The first node (whose CNINode the test made) gets the controller's fields and its trunk too.
    const first = sandbox.nodeNames()[0] as string;
    await waitFor(async () => (await capacity(sandbox, first)) === '9', { what: 'trunk of the first node', timeoutMs: 15_000 });
    const firstCni = await cniNode(sandbox, first);
    expect(firstCni?.metadata.finalizers).toEqual(['networking.k8s.aws/resource-cleanup']);
    expect(firstCni?.spec?.tags).toMatchObject({ team: 'x', 'cluster.k8s.amazonaws.com/name': sandbox.clusterName });
  });

  it('a CNINode deleted by hand while its node lives is re-created (a new object, the features kept, the trunk untouched)', async () => {
    const { sandbox } = env;
    const name = sandbox.nodeNames()[0] as string;
    const before = await cniNode(sandbox, name);
    const trunkBefore = trunkOf(sandbox, sandbox.nodeAgent(name)?.facts.instanceId ?? '')?.networkInterfaceId;
    await sandbox.kubeConfigFor('admin').makeApiClient(CustomObjectsApi).deleteClusterCustomObject({ ...cniRef, name });
    const after = await waitFor(async () => {
      const c = await cniNode(sandbox, name);
      return c && c.metadata.uid !== before?.metadata.uid && c;
    }, { what: 'CNINode re-created', timeoutMs: 10_000 });
    expect(after.metadata.finalizers).toEqual(['networking.k8s.aws/resource-cleanup']);
    expect(after.spec?.features).toEqual([{ name: 'SecurityGroupsForPods' }]);
    expect(after.spec?.tags).toMatchObject({ team: 'x' });
    expect(trunkOf(sandbox, sandbox.nodeAgent(name)?.facts.instanceId ?? '')?.networkInterfaceId).toBe(trunkBefore);
  });
  it('as aws-node, asks for SecurityGroupsForPods only while no trunk is attached: a featureless CNINode made later stays so', async () => {
    const { sandbox } = env;
    const name = sandbox.nodeNames()[0] as string;
    await controller?.stop();
    controller = undefined;
    const admin = sandbox.kubeConfigFor('admin').makeApiClient(CustomObjectsApi);
    await admin.deleteClusterCustomObject({ ...cniRef, name });
    await mergePatchCustomObject(admin, { ...cniRef, name }, { metadata: { finalizers: null } });
    await waitFor(async () => (await cniNode(sandbox, name)) === undefined, { what: 'CNINode gone' });
    await sandbox
      .kubeConfigFor('controller')
      .makeApiClient(CustomObjectsApi)
      .createClusterCustomObject({ ...cniRef, body: { apiVersion: `${CNINODE_GROUP}/${CNINODE_VERSION}`, kind: 'CNINode', metadata: { name }, spec: {} } });
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await cniNode(sandbox, name))?.spec?.features ?? []).toEqual([]);
  });
});

describe('CNINode mode with the controller', () => {
  const env = withSandbox({ nodes: 'm5.large=2,c5.xlarge=1', controller: nodeSideController() });

  it('every node gets its CNINode from the controller, then the CNI feature, then its trunk', async () => {
    const { sandbox } = env;
    for (const name of sandbox.nodeNames()) {
      await waitFor(async () => (await capacity(sandbox, name)) !== undefined, { what: `trunk of ${name}`, timeoutMs: 15_000 });
      const c = await cniNode(sandbox, name);
      // Owner reference and finalizer: the controller's object (aws-node may not create one at all).
      expect(c?.metadata.ownerReferences).toMatchObject([{ kind: 'Node', name }]);
      expect(c?.metadata.finalizers).toEqual(['networking.k8s.aws/resource-cleanup']);
      expect(c?.spec?.features).toEqual([{ name: 'SecurityGroupsForPods' }]);
      expect(trunkOf(sandbox, sandbox.nodeAgent(name)?.facts.instanceId ?? '')).toBeDefined();
      expect(sandbox.nodeAgent(name)?.cniNodeMissingRetries).toBe(0);
    }
  });
});

describe('legacy label mode with the controller', () => {
  const env = withSandbox({ nodes: 'm5.large=2', cniMode: 'label', controller: nodeSideController() });

  it('every node gets its CNINode from the controller (no features: the CNI labels the Node instead) and then its trunk', async () => {
    const { sandbox } = env;
    for (const name of sandbox.nodeNames()) {
      await waitFor(async () => (await capacity(sandbox, name)) === '9', { what: `trunk of ${name}`, timeoutMs: 15_000 });
      const c = await cniNode(sandbox, name);
      expect(c?.metadata.finalizers).toEqual(['networking.k8s.aws/resource-cleanup']);
      expect(c?.spec?.features ?? []).toEqual([]);
      expect(trunkOf(sandbox, sandbox.nodeAgent(name)?.facts.instanceId ?? '')).toBeDefined();
    }
  });
});
