// What startSandbox sets up and hands to the controller, and that stop() stops the controller.
import { ApiextensionsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ControllerEnv, Sandbox } from '../../../src/sim/sandbox/sandbox.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { startTestSandbox } from '../helpers/sandbox.js';

describe('startSandbox', () => {
  let sandbox: Sandbox;
  const envs: ControllerEnv[] = [];
  let stops = 0;

  beforeAll(async () => {
    sandbox = await startTestSandbox({
      nodes: 'm5.large=1',
      customNetworking: true,
      // Records what the controller would be given; the real one is sandboxControllerStarter.
      controller: (env) => {
        envs.push(env);
        return Promise.resolve({
          stop: () => {
            stops++;
            return Promise.resolve();
          },
        });
      },
    });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('writes a kubeconfig with admin (current), aws-node and controller contexts', () => {
    expect(existsSync(sandbox.kubeconfigPath)).toBe(true);
    const kc = parse(readFileSync(sandbox.kubeconfigPath, 'utf8')) as { 'current-context': string; contexts: { name: string }[] };
    expect(kc['current-context']).toBe('admin');
    expect(kc.contexts.map((c) => c.name)).toEqual(expect.arrayContaining(['admin', 'aws-node', 'controller']));
  });

  it('seeds namespaces, the amazon-vpc-cni ConfigMap and the CRDs', async () => {
    const core = sandbox.kubeConfigFor('admin').makeApiClient(CoreV1Api);
    const ns = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(ns).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public']));
    const cm = await core.readNamespacedConfigMap({ name: 'amazon-vpc-cni', namespace: 'kube-system' });
    expect(cm.data).toEqual({ 'branch-eni-cooldown': '60' });
    const crds = (await sandbox.kubeConfigFor('admin').makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition()).items.map((c) => c.metadata?.name);
    expect(crds).toEqual(expect.arrayContaining(['securitygrouppolicies.vpcresources.k8s.aws', 'cninodes.vpcresources.k8s.aws', 'eniconfigs.crd.k8s.amazonaws.com']));
    expect(await kubectlOk(['get', 'eniconfigs', '-o', 'name'], { kubeconfig: sandbox.kubeconfigPath })).toBe(
      'eniconfig.crd.k8s.amazonaws.com/us-west-2a\neniconfig.crd.k8s.amazonaws.com/us-west-2b\neniconfig.crd.k8s.amazonaws.com/us-west-2c\n',
    );
  });

  it('starts the controller once with the controller identity and the cluster facts', () => {
    expect(envs).toHaveLength(1);
    const env = envs[0] as ControllerEnv;
    expect(env).toMatchObject({
      kubeconfigPath: sandbox.kubeconfigPath,
      ec2Endpoint: sandbox.ec2.endpoint,
      region: 'us-west-2',
      clusterName: 'sandbox',
      vpcId: sandbox.vpcId,
      customNetworking: true,
      eniConfigLabelKey: 'topology.kubernetes.io/zone',
    });
    expect(env.kubeConfig.getCurrentUser()?.token).toBe(sandbox.kube.tokens.controller);
    expect(sandbox.vpcId).toMatch(/^vpc-/);
  });

  it('adds nodes on demand, spread over the zones', async () => {
    const names = await sandbox.addNodes('c5.xlarge=3');
    expect(names).toHaveLength(3);
    const zones = names.map((n) => sandbox.nodeAgent(n)?.facts.availabilityZone);
    expect(new Set(zones).size).toBe(3);
    expect(sandbox.nodeNames()).toHaveLength(4);
    await expect(sandbox.addNodes('c5.xlarge=two')).rejects.toThrow(/invalid node count "two"/);
    await expect(sandbox.removeNode('ip-1-2-3-4.nowhere')).rejects.toThrow(/no sandbox node named "ip-1-2-3-4.nowhere"/);
  });

  it('stops the controller when the sandbox stops', async () => {
    await sandbox.stop();
    expect(stops).toBe(1);
    await sandbox.stop(); // idempotent
    expect(stops).toBe(1);
  });
});
