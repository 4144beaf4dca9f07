// SecurityGroupPolicy scenarios end to end (webhook + branch ENI + EC2 groups): 10 replicas, two
// policies → union, duplicates, matchExpressions, both selectors, ServiceAccount selectors, a pod no
// policy wants, a changed policy, and the backstop for a matching pod the webhook never saw.
// Invariants after every scenario.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REASON_MISSING_POD_ENI_RESOURCE, REASON_SECURITY_GROUP_REQUESTED, RESOURCE_POD_ENI, SGP_GROUP, SGP_PLURAL, SGP_VERSION } from '../../../src/apis/constants.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  annotationOf,
  createGroups,
  createPod,
  createPolicy,
  eniGroups,
  ensureNamespace,
  podEvents,
  podManifest,
  readPod,
  settledInvariants,
  startPodEnv,
  waitRunningAnnotated,
  type PodEnv,
} from './helpers.js';

const sorted = (a: readonly string[]): string[] => [...a].sort();

async function cached(env: PodEnv, informer: 'policies' | 'serviceAccounts', keys: readonly string[]): Promise<void> {
  await waitFor(() => keys.every((k) => env.controller.ctx.informers[informer].get(k) !== undefined), { what: `${keys.join(', ')} in the controller's cache` });
}

describe('SecurityGroupPolicy scenarios', () => {
  let env: PodEnv;
  let g: string[];
  beforeAll(async () => {
    env = await startPodEnv({ nodes: 'm5.large=2' });
    g = await createGroups(env.sandbox, ['a', 'b', 'c', 'd', 'e', 'f']);
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });
  afterEach(async () => {
    expect(await settledInvariants(env)).toEqual([]);
  });

  /** The groups of a pod's (single) branch ENI. */
  async function groupsOf(ns: string, name: string): Promise<string[]> {
    const pod = await waitRunningAnnotated(env, ns, name);
    const [entry] = annotationOf(pod)!;
    return eniGroups(env, entry!.eniId)!;
  }

  it('10 matching replicas: each runs on its own branch ENI and VLAN with the policy groups', async () => {
    await ensureNamespace(env, 'replicas');
    await createPolicy(env, 'replicas', 'web', { podSelector: { matchLabels: { app: 'web' } }, groupIds: [g[0]!] });
    await cached(env, 'policies', ['replicas/web']);
    await Promise.all(Array.from({ length: 10 }, (_, i) => createPod(env, podManifest('replicas', `web-${i}`, { app: 'web' }))));
    const pods = await Promise.all(Array.from({ length: 10 }, (_, i) => waitRunningAnnotated(env, 'replicas', `web-${i}`, 30_000)));
    const enis = pods.map((p) => annotationOf(p)![0]!);
    expect(new Set(enis.map((e) => e.eniId)).size).toBe(10);
    for (const [i, p] of pods.entries()) {
      expect(p.status?.podIP).toBe(enis[i]!.privateIp);
      expect(eniGroups(env, enis[i]!.eniId)).toEqual([g[0]]);
    }
    // Per node, VLANs are distinct (checked by the invariants too) and start at 1.
    const byNode = new Map<string, number[]>();
    pods.forEach((p, i) => byNode.set(p.spec!.nodeName!, [...(byNode.get(p.spec!.nodeName!) ?? []), enis[i]!.vlanId]));
    for (const vlans of byNode.values()) expect([...vlans].sort((a, b) => a - b)).toEqual(Array.from({ length: vlans.length }, (_, i) => i + 1));
  });

  it('two policies give the union in a deterministic order; duplicate groups appear once', async () => {
    await ensureNamespace(env, 'union');
    // Names decide the order: "alpha" before "beta", then the listed order inside each.
    await createPolicy(env, 'union', 'beta', { podSelector: { matchLabels: { tier: 'api' } }, groupIds: [g[2]!, g[0]!] });
    await createPolicy(env, 'union', 'alpha', { podSelector: { matchLabels: { app: 'shop' } }, groupIds: [g[1]!, g[2]!, g[1]!] });
    await cached(env, 'policies', ['union/alpha', 'union/beta']);
    await createPod(env, podManifest('union', 'shop-api', { app: 'shop', tier: 'api' }));
    expect(await groupsOf('union', 'shop-api')).toEqual(sorted([g[0]!, g[1]!, g[2]!]));
    const ev = (await podEvents(env, 'union', 'shop-api')).find((e) => e.reason === REASON_SECURITY_GROUP_REQUESTED);
    expect(ev?.message).toBe(`Pod will get the following Security Groups [${g[1]} ${g[2]} ${g[0]}]`);
  });

  it('matchExpressions select (In, NotIn, Exists, DoesNotExist)', async () => {
    await ensureNamespace(env, 'exprs');
    await createPolicy(env, 'exprs', 'exprs', {
      podSelector: {
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'staging'] },
          { key: 'team', operator: 'NotIn', values: ['legacy'] },
          { key: 'owner', operator: 'Exists' },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      },
      groupIds: [g[3]!],
    });
    await cached(env, 'policies', ['exprs/exprs']);
    await createPod(env, podManifest('exprs', 'yes', { env: 'prod', team: 'core', owner: 'x' }));
    await createPod(env, podManifest('exprs', 'legacy', { env: 'prod', team: 'legacy', owner: 'x' }));
    await createPod(env, podManifest('exprs', 'canary', { env: 'staging', owner: 'x', canary: 'true' }));
    expect(await groupsOf('exprs', 'yes')).toEqual([g[3]]);
    for (const name of ['legacy', 'canary']) {
      const p = await waitFor(async () => ((await readPod(env, 'exprs', name))?.status?.phase === 'Running' ? readPod(env, 'exprs', name) : undefined), { what: `${name} running` });
      expect(annotationOf(p)).toBeUndefined();
      expect(p?.spec?.containers[0]?.resources?.limits?.[RESOURCE_POD_ENI]).toBeUndefined();
    }
  });

  it('ServiceAccount selectors match the ServiceAccount labels (matchLabels and matchExpressions); with a pod selector too, both must match', async () => {
    await ensureNamespace(env, 'sa');
    await env.core.createNamespacedServiceAccount({ namespace: 'sa', body: { metadata: { name: 'payments', namespace: 'sa', labels: { team: 'payments' } } } });
    await env.core.createNamespacedServiceAccount({ namespace: 'sa', body: { metadata: { name: 'billing', namespace: 'sa', labels: { team: 'billing', tier: 'back' } } } });
    await env.core.createNamespacedServiceAccount({ namespace: 'sa', body: { metadata: { name: 'web', namespace: 'sa', labels: { team: 'web' } } } });
    await createPolicy(env, 'sa', 'by-labels', { serviceAccountSelector: { matchLabels: { team: 'payments' } }, groupIds: [g[4]!] });
    await createPolicy(env, 'sa', 'by-expr', { serviceAccountSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, groupIds: [g[5]!] });
    await createPolicy(env, 'sa', 'both', { podSelector: { matchLabels: { app: 'web' } }, serviceAccountSelector: { matchLabels: { team: 'web' } }, groupIds: [g[0]!] });
    // Wait until the controller's caches hold the ServiceAccounts (the webhook reads them).
    await new Promise((r) => setTimeout(r, 200));
    await createPod(env, podManifest('sa', 'pay', { app: 'pay' }, { serviceAccountName: 'payments' }));
    await createPod(env, podManifest('sa', 'bill', { app: 'bill' }, { serviceAccountName: 'billing' }));
    await createPod(env, podManifest('sa', 'web-ok', { app: 'web' }, { serviceAccountName: 'web' }));
    await createPod(env, podManifest('sa', 'web-wrong-sa', { app: 'web' }, { serviceAccountName: 'payments' }));
    await createPod(env, podManifest('sa', 'not-web', { app: 'other' }, { serviceAccountName: 'web' }));
    expect(await groupsOf('sa', 'pay')).toEqual([g[4]]);
    expect(await groupsOf('sa', 'bill')).toEqual([g[5]]);
    expect(await groupsOf('sa', 'web-ok')).toEqual([g[0]]);
    // Matches by-labels through its ServiceAccount, but not "both" (pod selector fits, SA does not).
    expect(await groupsOf('sa', 'web-wrong-sa')).toEqual([g[4]]);
    const notWeb = await waitFor(async () => {
      const p = await readPod(env, 'sa', 'not-web');
      return p?.status?.phase === 'Running' ? p : undefined;
    }, { what: 'not-web running' });
    expect(annotationOf(notWeb)).toBeUndefined();
  });

  it('a changed policy: pods created afterwards get the new groups, running ones get them in place', async () => {
    await ensureNamespace(env, 'change');
    await createPolicy(env, 'change', 'p', { podSelector: { matchLabels: { app: 'x' } }, groupIds: [g[0]!] });
    await cached(env, 'policies', ['change/p']);
    await createPod(env, podManifest('change', 'before', { app: 'x' }));
    expect(await groupsOf('change', 'before')).toEqual([g[0]]);
    await env.custom.patchNamespacedCustomObject(
      { group: SGP_GROUP, version: SGP_VERSION, plural: SGP_PLURAL, namespace: 'change', name: 'p', body: [{ op: 'replace', path: '/spec/securityGroups/groupIds', value: [g[1], g[2]] }] },
    );
    await waitFor(() => JSON.stringify(env.controller.ctx.informers.policies.get('change/p')).includes(g[2]!), { what: 'the changed policy in the cache' });
    await createPod(env, podManifest('change', 'after', { app: 'x' }));
    expect(await groupsOf('change', 'after')).toEqual(sorted([g[1]!, g[2]!]));
    // Live policies (ours; the reference fixes groups at allocation): the running pod's ENI gets the new groups in place.
    await waitFor(async () => JSON.stringify(await groupsOf('change', 'before')) === JSON.stringify(sorted([g[1]!, g[2]!])), { what: 'the running pod updated in place' });
    await env.core.deleteNamespacedPod({ namespace: 'change', name: 'before' });
  });

  it('backstop: a pod that matches a policy but bypassed the webhook gets a Warning naming the fix', async () => {
    // kube-system is outside the mutating webhook's scope: a policy there is reported, not enforced.
    await createPolicy(env, 'kube-system', 'sys', { podSelector: { matchLabels: { app: 'sys' } }, groupIds: [g[0]!] });
    await cached(env, 'policies', ['kube-system/sys']);
    await createPod(env, podManifest('kube-system', 'sys-pod', { app: 'sys' }));
    const ev = await waitFor(
      async () => (await podEvents(env, 'kube-system', 'sys-pod')).find((e) => e.reason === REASON_MISSING_POD_ENI_RESOURCE),
      { what: 'MissingPodENIResource event' },
    );
    expect(ev.type).toBe('Warning');
    expect(ev.message).toContain('sys');
    expect(ev.message).toContain(RESOURCE_POD_ENI);
    expect(ev.message).toContain('recreate the pod');
    const metrics = await env.controller.ctx.registry.getSingleMetricAsString('vpcrc_pods_missing_pod_eni_resource_total');
    expect(metrics).toContain('namespace="kube-system"} 1');
  });
});
