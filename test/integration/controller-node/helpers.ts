// Shared by the controller-node integration tests: start the real controller against a sandbox
// (as the sandbox's ControllerStarter would, but with a handle the test keeps), and read what it
// did through the admin identity.
import { CoreV1Api, CustomObjectsApi, type CoreV1Event, type V1Node } from '@kubernetes/client-node';
import { CNINODE_GROUP, CNINODE_PLURAL, CNINODE_VERSION } from '../../../src/apis/constants.js';
import type { CNINode } from '../../../src/apis/cninode.js';
import { sandboxControllerStarter, type RunningController, type StartControllerOptions } from '../../../src/controllers/controller.js';
import type { EniView } from '../../../src/sim/ec2/index.js';
import type { Sandbox } from '../../../src/sim/sandbox/sandbox.js';

/** Starts the controller against the sandbox (no webhooks, no pod side unless asked, fast attach polling). */
export async function startTestController(
  sandbox: Sandbox,
  extra: Partial<Omit<StartControllerOptions, 'kubeConfig'>> = {},
  env: { customNetworking?: boolean; eniConfigLabelKey?: string } = {},
): Promise<RunningController> {
  const starter = sandboxControllerStarter({ webhooks: false, podSide: false, nodeSide: { attachPollMs: 50, backoff: { baseMs: 100, maxMs: 2_000 } }, ...extra });
  const started = (await starter({
    kubeconfigPath: sandbox.kubeconfigPath,
    kubeConfig: sandbox.kubeConfigFor('controller'),
    ec2Endpoint: sandbox.ec2.endpoint,
    region: sandbox.region,
    clusterName: sandbox.clusterName,
    vpcId: sandbox.vpcId,
    customNetworking: env.customNetworking ?? false,
    ...(env.eniConfigLabelKey ? { eniConfigLabelKey: env.eniConfigLabelKey } : {}),
    logger: (await import('../../../src/observability/logger.js')).silentLogger(),
  })) as { stop(): Promise<void>; controller: RunningController };
  return started.controller;
}

export function admin(sandbox: Sandbox): { core: CoreV1Api; custom: CustomObjectsApi } {
  const kc = sandbox.kubeConfigFor('admin');
  return { core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
}

export async function listNodes(sandbox: Sandbox): Promise<V1Node[]> {
  return (await admin(sandbox).core.listNode()).items;
}

export async function getCniNode(sandbox: Sandbox, name: string): Promise<CNINode | undefined> {
  try {
    return (await admin(sandbox).custom.getClusterCustomObject({ group: CNINODE_GROUP, version: CNINODE_VERSION, plural: CNINODE_PLURAL, name })) as CNINode;
  } catch {
    return undefined;
  }
}

/** Events about a node (they live in namespace default). */
export async function nodeEvents(sandbox: Sandbox, nodeName: string): Promise<CoreV1Event[]> {
  const out = await admin(sandbox).core.listNamespacedEvent({ namespace: 'default' });
  return out.items.filter((e) => e.involvedObject.kind === 'Node' && e.involvedObject.name === nodeName);
}

export const podEniCapacity = (n: V1Node): string | undefined => (n.status?.capacity)?.['vpc.amazonaws.com/pod-eni'];

export function trunks(sandbox: Sandbox): EniView[] {
  return sandbox.ec2.world.listEnis().filter((e) => e.interfaceType === 'trunk');
}

export function instanceOfNode(n: V1Node): string {
  return (n.spec?.providerID ?? '').split('/').pop() ?? '';
}
