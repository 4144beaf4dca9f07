// Shared by the pod-side integration tests: a sandbox with the whole controller (node side, pod
// side, self-registered webhooks), a short cooldown allowed by `minCooldownSeconds`, and small
// readers for what a user would look at (annotations, events, EC2).
import { CreateSecurityGroupCommand } from '@aws-sdk/client-ec2';
import { CoreV1Api, CustomObjectsApi, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';
import {
  ANNOTATION_POD_ENI,
  CNI_CONFIGMAP_NAME,
  CNI_CONFIGMAP_NAMESPACE,
  CONFIG_KEY_BRANCH_ENI_COOLDOWN,
  LABEL_HAS_TRUNK_ATTACHED,
  RESOURCE_POD_ENI,
  SGP_GROUP,
  SGP_KIND,
  SGP_PLURAL,
  SGP_VERSION,
} from '../../../src/apis/constants.js';
import type { RunningController, StartControllerOptions } from '../../../src/controllers/controller.js';
import type { ControllerSettings } from '../../../src/controllers/context.js';
import { decodePodEniAnnotation, type PodEniEntry } from '../../../src/domain/pod-eni-annotation.js';
import { mergePatchPod } from '../../../src/kube/patch.js';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createLogger } from '../../../src/observability/logger.js';
import { makeSandboxEc2Client } from '../../../src/sim/sandbox/ec2-client.js';
import type { Sandbox, SandboxOptions } from '../../../src/sim/sandbox/sandbox.js';
import { startTestController } from '../controller-node/helpers.js';
import { checkInvariants, OrphanTracker } from '../helpers/invariants.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

export interface PodEnv {
  sandbox: Sandbox & { cleanupDir: string };
  controller: RunningController;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  /** Remembers orphaned branch ENIs across invariant checks. */
  orphans: OrphanTracker;
  stop(): Promise<void>;
}

/** Sandbox + controller with webhooks and pod side; cooldown set to `cooldownSeconds` before the controller starts. */
export async function startPodEnv(
  opts: {
    nodes?: string;
    cooldownSeconds?: number;
    sandbox?: SandboxOptions;
    controller?: Partial<Omit<StartControllerOptions, 'kubeConfig' | 'settings'>> & { settings?: Partial<ControllerSettings> };
  } = {},
): Promise<PodEnv> {
  const sandbox = await startTestSandbox({ nodes: opts.nodes ?? 'm5.large=1', retryUnschedulableMs: 1_000, ...opts.sandbox });
  const kc = sandbox.kubeConfigFor('admin');
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const cooldown = opts.cooldownSeconds ?? 1;
  await core.patchNamespacedConfigMap(
    { name: CNI_CONFIGMAP_NAME, namespace: CNI_CONFIGMAP_NAMESPACE, body: { data: { [CONFIG_KEY_BRANCH_ENI_COOLDOWN]: String(cooldown) } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  let controller: RunningController;
  try {
    controller = await startTestController(sandbox, {
      podSide: true,
      webhooks: { selfRegister: true },
      // TEST_LOG=debug shows the controller's logs on stderr when a test needs explaining.
      ...(process.env.TEST_LOG ? { logger: createLogger({ level: process.env.TEST_LOG as 'debug' }) } : {}),
      ...opts.controller,
      settings: { minCooldownSeconds: 1, ...opts.controller?.settings },
    });
  } catch (err) {
    await sandbox.stop();
    throw err;
  }
  const env: PodEnv = {
    sandbox,
    controller,
    core,
    custom,
    orphans: new OrphanTracker((cooldown + 5) * 1000),
    async stop() {
      await controller.stop();
      await sandbox.stop();
    },
  };
  await waitFor(
    async () => {
      const nodes = (await core.listNode()).items;
      return nodes.length > 0 && nodes.every((n) => n.metadata?.labels?.[LABEL_HAS_TRUNK_ATTACHED] === 'true' && n.status?.allocatable?.[RESOURCE_POD_ENI]);
    },
    { timeoutMs: 20_000, what: 'every node to have a trunk and pod-eni capacity' },
  );
  return env;
}

/** New security groups in the sandbox VPC. */
export async function createGroups(sandbox: Sandbox, names: readonly string[]): Promise<string[]> {
  const ec2 = makeSandboxEc2Client(sandbox.ec2.endpoint, sandbox.region);
  try {
    const out: string[] = [];
    for (const name of names) {
      const r = await ec2.send(new CreateSecurityGroupCommand({ VpcId: sandbox.vpcId, GroupName: `${name}-${Math.random().toString(36).slice(2, 8)}`, Description: name }));
      out.push(r.GroupId as string);
    }
    return out;
  } finally {
    ec2.destroy();
  }
}

export interface PolicySpec {
  podSelector?: object;
  serviceAccountSelector?: object;
  groupIds: readonly string[];
}

export function policyManifest(namespace: string, name: string, spec: PolicySpec): object {
  return {
    apiVersion: `${SGP_GROUP}/${SGP_VERSION}`,
    kind: SGP_KIND,
    metadata: { name, namespace },
    spec: {
      ...(spec.podSelector ? { podSelector: spec.podSelector } : {}),
      ...(spec.serviceAccountSelector ? { serviceAccountSelector: spec.serviceAccountSelector } : {}),
      securityGroups: { groupIds: [...spec.groupIds] },
    },
  };
}

export async function createPolicy(env: PodEnv, namespace: string, name: string, spec: PolicySpec): Promise<void> {
  await env.custom.createNamespacedCustomObject({ group: SGP_GROUP, version: SGP_VERSION, plural: SGP_PLURAL, namespace, body: policyManifest(namespace, name, spec) });
}

export async function ensureNamespace(env: PodEnv, name: string): Promise<void> {
  try {
    await env.core.createNamespace({ body: { metadata: { name } } });
  } catch {
    // exists
  }
}

export function podManifest(namespace: string, name: string, labels: Record<string, string>, extra: { serviceAccountName?: string; annotations?: Record<string, string> } = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      ...(extra.serviceAccountName ? { serviceAccountName: extra.serviceAccountName } : {}),
      containers: [{ name: 'app', image: 'public.ecr.aws/amazonlinux/amazonlinux:2', resources: {} }],
    },
  };
}

export async function createPod(env: PodEnv, pod: V1Pod): Promise<V1Pod> {
  return env.core.createNamespacedPod({ namespace: pod.metadata?.namespace ?? 'default', body: pod });
}

export async function readPod(env: PodEnv, namespace: string, name: string): Promise<V1Pod | undefined> {
  try {
    return await env.core.readNamespacedPod({ namespace, name });
  } catch {
    return undefined;
  }
}

export function annotationOf(pod: V1Pod | undefined): PodEniEntry[] | undefined {
  const raw = pod?.metadata?.annotations?.[ANNOTATION_POD_ENI];
  if (!raw) return undefined;
  const d = decodePodEniAnnotation(raw);
  if (!d.ok) throw new Error(`bad annotation: ${d.errors.join('; ')}`);
  return d.value;
}

/** Waits until the pod is annotated and Running; returns it. */
export async function waitRunningAnnotated(env: PodEnv, namespace: string, name: string, timeoutMs = 20_000): Promise<V1Pod> {
  return waitFor(
    async () => {
      const p = await readPod(env, namespace, name);
      return p && annotationOf(p) && p.status?.phase === 'Running' ? p : undefined;
    },
    { timeoutMs, what: `pod ${namespace}/${name} annotated and Running` },
  );
}

export async function podEvents(env: PodEnv, namespace: string, name: string): Promise<CoreV1Event[]> {
  const out = await env.core.listNamespacedEvent({ namespace });
  return out.items.filter((e) => e.involvedObject.kind === 'Pod' && e.involvedObject.name === name);
}

export async function nodeEventsAll(env: PodEnv): Promise<CoreV1Event[]> {
  const out = await env.core.listNamespacedEvent({ namespace: 'default' });
  return out.items.filter((e) => e.involvedObject.kind === 'Node');
}

/** The groups of a branch ENI in the local EC2 (sorted). */
export function eniGroups(env: PodEnv, eniId: string): string[] | undefined {
  const eni = env.sandbox.ec2.world.listEnis().find((e) => e.networkInterfaceId === eniId);
  return eni ? [...eni.groups].sort() : undefined;
}

export function eniExists(env: PodEnv, eniId: string): boolean {
  return env.sandbox.ec2.world.listEnis().some((e) => e.networkInterfaceId === eniId);
}

/** Invariants after a scenario: no VLAN twice, annotated ENIs exist with the pod's groups, no lasting orphans. */
export async function invariants(env: PodEnv): Promise<string[]> {
  return checkInvariants(env.sandbox, { orphans: env.orphans });
}

/** Waits until no branch ENI is orphaned past the tracker's grace (cooldown + slack), then checks everything. */
export async function settledInvariants(env: PodEnv, timeoutMs = 15_000): Promise<string[]> {
  const { orphanBranchEnis } = await import('../helpers/invariants.js');
  await waitFor(
    async () => {
      const pods = (await env.core.listPodForAllNamespaces()).items;
      return orphanBranchEnis(env.sandbox.ec2.world.listEnis(), pods).length === 0;
    },
    { timeoutMs, what: 'every branch ENI without a live pod to be deleted' },
  );
  return invariants(env);
}

export async function deletePod(env: PodEnv, namespace: string, name: string): Promise<void> {
  await env.core.deleteNamespacedPod({ namespace, name });
}

export async function patchPod(env: PodEnv, namespace: string, name: string, body: object): Promise<V1Pod> {
  return mergePatchPod(env.core, namespace, name, body);
}
