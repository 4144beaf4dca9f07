// Shared by the controller-node integration tests: start the real controller against a sandbox
// (as the sandbox's ControllerStarter would, but with a handle the test keeps), and read what it
// did through the admin identity.
import { CoreV1Api, CustomObjectsApi, type CoreV1Event, type V1Node } from '@kubernetes/client-node';
import { CNINODE_GROUP, CNINODE_PLURAL, CNINODE_VERSION } from '../../../src/apis/constants.js';
import type { CNINode } from '../../../src/apis/cninode.js';
import { sandboxControllerStarter } from '../../../src/cli/sandbox-controller.js';
import type { RunningController } from '../../../src/controllers/controller.js';
import type { EniView } from '../../../src/sim/ec2/index.js';
import type { Sandbox } from '../../../src/sim/sandbox/sandbox.js';

/** Starts the controller against the sandbox (no webhooks, no pod side unless asked, fast attach polling). */
export async function startTestController(
  sandbox: Sandbox,
  extra: Parameters<typeof sandboxControllerStarter>[0] = {},
  env: { customNetworking?: boolean; eniConfigLabelKey?: string; ec2Endpoint?: string } = {},
): Promise<RunningController> {
  // Warm branch ENI reuse off unless a test asks for it: most scenarios check that a pod's ENI is deleted after its cooldown.
  const starter = sandboxControllerStarter({ webhooks: false, podSide: false, nodeSide: { attachPollMs: 50, backoff: { baseMs: 100, maxMs: 2_000 } }, ...extra, settings: { branchEniWarmSeconds: 0, ...extra.settings } });
  const started = (await starter({
    kubeconfigPath: sandbox.kubeconfigPath,
    kubeConfig: sandbox.kubeConfigFor('controller'),
    ec2Endpoint: env.ec2Endpoint ?? sandbox.ec2.endpoint,
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

/** An HTTP proxy in front of the local EC2 that keeps every request body, to prove what was (not) sent. */
export interface RecordingProxy {
  endpoint: string;
  /** Decoded request bodies (Query protocol form data), in arrival order. */
  bodies: string[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const { createServer, request } = await import('node:http');
  const bodies: string[] = [];
  const t = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.push(decodeURIComponent(body.toString('utf8').replace(/\+/g, ' ')));
      const fwd = request(
        { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: { ...req.headers, host: t.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    bodies,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
