// SupervisedInformer over client-node's real ListWatch against the local API server: list + watch,
// selectors, indexes, and recovery when the API server goes away and comes back empty (restart with
// backoff, relist, deletions of objects that vanished meanwhile).
import { afterAll, describe, expect, it } from 'vitest';
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { startLocalKube, type LocalKube } from '../../../src/sim/kube/index.js';
import { kubeConfigFor } from '../../../src/sim/kube/kubeconfig.js';
import { SupervisedInformer, objectKey } from '../../../src/kube/informer.js';
import { createMetricsRegistry } from '../../../src/observability/metrics.js';
import { waitFor } from '../helpers/wait-for.js';

const cm = (name: string, labels: Record<string, string>, data: Record<string, string> = {}): V1ConfigMap => ({
  metadata: { name, namespace: 'default', labels },
  data,
});

describe('SupervisedInformer against the local API server', () => {
  let kube: LocalKube | undefined;
  let informer: SupervisedInformer<V1ConfigMap> | undefined;
  afterAll(async () => {
    await informer?.stop();
    await kube?.close();
  });

  it('lists, watches with a label selector, indexes, and recovers from an API server restart', async () => {
    kube = await startLocalKube();
    const kc = kubeConfigFor(kube, 'admin', 'https');
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('a', { app: 'x', tier: 'one' }) });
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('ignored', { app: 'y' }) });

    const seen: string[] = [];
    const registry = createMetricsRegistry({ defaultMetrics: false });
    informer = new SupervisedInformer<V1ConfigMap>({
      name: 'configmaps',
      kc,
      path: '/api/v1/configmaps',
      labelSelector: 'app=x',
      list: (q) => core.listConfigMapForAllNamespaces(q),
      indexers: { tier: (o) => (o.metadata?.labels?.tier ? [o.metadata.labels.tier] : []) },
      backoff: { baseMs: 100, maxMs: 400, jitter: 0 },
      registry,
    });
    informer.onAdd((o) => seen.push(`add:${objectKey(o)}`));
    informer.onUpdate((o, old) => seen.push(`update:${objectKey(o)}:${old?.data?.v ?? ''}->${o.data?.v ?? ''}`));
    informer.onDelete((o) => seen.push(`delete:${objectKey(o)}`));
    await informer.start();
    await informer.waitForSync(5_000);
    expect(informer.keys()).toEqual(['default/a']);
    expect(informer.byIndex('tier', 'one').map(objectKey)).toEqual(['default/a']);

    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('b', { app: 'x', tier: 'two' }) });
    await core.replaceNamespacedConfigMap({ name: 'a', namespace: 'default', body: cm('a', { app: 'x', tier: 'one' }, { v: '1' }) });
    await waitFor(() => seen.includes('add:default/b') && seen.some((s) => s.startsWith('update:default/a')), { what: 'watch events', intervalMs: 20 });
    expect(seen).toContain('update:default/a:->1');
    expect(informer.byIndex('tier', 'two').map(objectKey)).toEqual(['default/b']);

    // The API server goes away; client-node's informer reports an error and would stop for good.
    const port = Number(new URL(kube.url).port);
    const httpsPort = Number(new URL(kube.httpsUrl).port);
    const tokens = kube.tokens;
    const tls = kube.tls;
    await kube.close();
    await new Promise((r) => setTimeout(r, 300));
    // It comes back on the same address, empty except for one new object.
    kube = await startLocalKube({ port, httpsPort, tokens, tls });
    const core2 = kubeConfigFor(kube, 'admin', 'https').makeApiClient(CoreV1Api);
    await core2.createNamespacedConfigMap({ namespace: 'default', body: cm('c', { app: 'x' }) });
    await waitFor(() => informer!.get('default/c') !== undefined && informer!.get('default/a') === undefined, { what: 'relist after restart', timeoutMs: 15_000, intervalMs: 20 });
    expect(informer.keys().sort()).toEqual(['default/c']);
    expect(seen).toEqual(expect.arrayContaining(['delete:default/a', 'delete:default/b', 'add:default/c']));
    expect(informer.hasSynced()).toBe(true);
    // The supervisor, not client-node, brought it back: at least one restart after an error.
    expect(await registry.metrics()).toMatch(/vpcrc_informer_restarts_total\{informer="configmaps",reason="[a-z-]+"\} [1-9]/);

    // And it keeps watching.
    await core2.createNamespacedConfigMap({ namespace: 'default', body: cm('d', { app: 'x' }) });
    await waitFor(() => informer!.get('default/d') !== undefined, { what: 'watch after restart', intervalMs: 20 });
  });
});
