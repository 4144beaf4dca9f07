// A watch that goes silent without an error (a half-open TCP connection: nothing arrives, not even
// the end of the response) is noticed: the local API server freezes every open watch, and the
// informer either restarts its watch after `watchStaleMs` without a bookmark, or repairs its cache
// with the periodic relist. Real client-node ListWatch, real HTTP.
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { SupervisedInformer, objectKey } from '../../../src/kube/informer.js';
import { createMetricsRegistry, type Registry } from '../../../src/observability/metrics.js';
import { startLocalKube, type LocalKube } from '../../../src/sim/kube/index.js';
import { kubeConfigFor } from '../../../src/sim/kube/kubeconfig.js';
import { waitFor } from '../helpers/wait-for.js';

const cm = (name: string, v = '1'): V1ConfigMap => ({ metadata: { name, namespace: 'default', labels: { app: 'x' } }, data: { v } });

async function metric(registry: Registry, line: RegExp): Promise<number> {
  const m = line.exec(await registry.metrics());
  return m ? Number(m[1]) : 0;
}

describe('informers notice a silent watch', () => {
  // What each test started, stopped after it in reverse order.
  const started: Array<{ stop?: () => Promise<void>; close?: () => Promise<void> }> = [];
  let kube: LocalKube | undefined;
  afterEach(async () => {
    for (const s of started.splice(0).reverse()) await (s.stop ?? s.close)?.call(s);
  });

  async function setup(bookmarkIntervalMs: number, liveness: { watchStaleMs: number; relistIntervalMs: number }) {
    kube = await startLocalKube({ bookmarkIntervalMs });
    started.push(kube);
    const kc = kubeConfigFor(kube, 'admin');
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('a') });
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const seen: string[] = [];
    const informer = new SupervisedInformer<V1ConfigMap>({
      name: 'configmaps',
      kc,
      path: '/api/v1/configmaps',
      labelSelector: 'app=x',
      list: (q) => core.listConfigMapForAllNamespaces(q),
      backoff: { baseMs: 50, maxMs: 200, jitter: 0 },
      registry,
      ...liveness,
    });
    informer.onAdd((o) => seen.push(`add:${objectKey(o)}`));
    informer.onUpdate((o) => seen.push(`update:${objectKey(o)}:${o.data?.v ?? ''}`));
    informer.onDelete((o) => seen.push(`delete:${objectKey(o)}`));
    started.push(informer);
    await informer.start();
    await informer.waitForSync(5_000);
    return { core, registry, seen, inf: informer };
  }

  it('a frozen watch (no events, no bookmarks) is restarted within the configured interval and catches up', async () => {
    const staleMs = 1_000;
    const { core, registry, seen, inf } = await setup(200, { watchStaleMs: staleMs, relistIntervalMs: 0 });
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('b') });
    await waitFor(() => inf.get('default/b') !== undefined, { what: 'watch delivers b', intervalMs: 20 });

    const frozeAt = Date.now();
    expect(kube!.freezeWatches()).toBeGreaterThanOrEqual(1);
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('c') });
    await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'a', body: cm('a', '2') });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'b' });
    // Nothing arrives over the frozen connection.
    await new Promise((r) => setTimeout(r, 300));
    expect(inf.get('default/c')).toBeUndefined();

    await waitFor(() => inf.get('default/c') !== undefined && inf.get('default/b') === undefined && inf.get('default/a')?.data?.v === '2', {
      what: 'the restarted watch replays what the frozen one missed',
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    const recoveredMs = Date.now() - frozeAt;
    // Noticed after staleMs of silence, checked every staleMs/5, restarted after a 50 ms backoff.
    expect(recoveredMs).toBeLessThan(staleMs * 1.2 + 50 + 1_000);
    expect(recoveredMs).toBeGreaterThanOrEqual(staleMs - 250);
    expect(seen).toEqual(expect.arrayContaining(['add:default/c', 'update:default/a:2', 'delete:default/b']));
    expect(await metric(registry, /vpcrc_informer_restarts_total\{informer="configmaps",reason="stale"\} (\d+)/)).toBeGreaterThanOrEqual(1);

    // The new watch is live again.
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('d') });
    await waitFor(() => inf.get('default/d') !== undefined, { what: 'watch after the restart', intervalMs: 20 });
  });

  it('a quiet watch that keeps sending bookmarks is not restarted', async () => {
    const { registry } = await setup(150, { watchStaleMs: 600, relistIntervalMs: 0 });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await metric(registry, /vpcrc_informer_restarts_total\{informer="configmaps",reason="stale"\} (\d+)/)).toBe(0);
  });

  it('the periodic relist repairs what a frozen watch missed, calling handlers only for the differences', async () => {
    const { core, registry, seen, inf } = await setup(60_000, { watchStaleMs: 0, relistIntervalMs: 700 });
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('b') });
    await waitFor(() => inf.get('default/b') !== undefined, { what: 'watch delivers b', intervalMs: 20 });
    expect(kube!.freezeWatches()).toBeGreaterThanOrEqual(1);
    seen.length = 0;
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('c') });
    await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'a', body: cm('a', '2') });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'b' });

    await waitFor(() => inf.get('default/c') !== undefined && inf.get('default/b') === undefined && inf.get('default/a')?.data?.v === '2', {
      what: 'the relist repairs the cache',
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    expect(seen.sort()).toEqual(['add:default/c', 'delete:default/b', 'update:default/a:2']);
    const repairs = (type: string) => metric(registry, new RegExp(`vpcrc_informer_relist_repairs_total\\{informer="configmaps",type="${type}"\\} (\\d+)`));
    expect([await repairs('add'), await repairs('update'), await repairs('delete')]).toEqual([1, 1, 1]);
    // Later relists find nothing to repair and call no handler.
    const relists = await metric(registry, /vpcrc_informer_relists_total\{informer="configmaps",result="ok"\} (\d+)/);
    await waitFor(async () => (await metric(registry, /vpcrc_informer_relists_total\{informer="configmaps",result="ok"\} (\d+)/)) > relists, { what: 'another relist', timeoutMs: 3_000, intervalMs: 50 });
    expect(seen).toHaveLength(3);
  });
});
