/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- these tests read arbitrary JSON returned by the API server */
// @kubernetes/client-node against the local API server: informers (initial list, add/update/
// delete, recovery after 410, reconnect after a restart on the same port), watches that lose and
// reorder nothing under 1,000 concurrent updates, and 409 on stale writes.
import { ApiException, CoreV1Api, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeConfigFor, startLocalKube, type LocalKube } from '../../../src/sim/kube/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { pod, rawClient, readWatch } from './local-kube-client.js';

const open: LocalKube[] = [];
afterAll(async () => {
  await Promise.all(open.map((k) => k.close()));
});

async function start(opts: Parameters<typeof startLocalKube>[0] = {}): Promise<LocalKube> {
  const k = await startLocalKube(opts);
  open.push(k);
  return k;
}

function podInformer(kube: LocalKube, supervise = true) {
  const kc = kubeConfigFor(kube, 'controller');
  const api = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1Pod>(kc, '/api/v1/namespaces/default/pods', () => api.listNamespacedPod({ namespace: 'default' }));
  const log: string[] = [];
  informer.on('add', (p) => log.push(`add ${p.metadata?.name}`));
  informer.on('update', (p) => log.push(`update ${p.metadata?.name} ${p.metadata?.labels?.v ?? ''}`));
  informer.on('delete', (p) => log.push(`delete ${p.metadata?.name}`));
  // client-node informers stop after a non-410 error: restart them, as a supervisor would.
  informer.on('error', () => {
    if (supervise) setTimeout(() => void informer.start().catch(() => undefined), 50);
  });
  return { informer, log, api };
}

describe('client-node informers', () => {
  it('list, then add/update/delete, with the controller identity over HTTP', async () => {
    const kube = await start();
    const call = rawClient(kube);
    await call('POST', '/api/v1/namespaces/default/pods', pod('pre-1'));
    await call('POST', '/api/v1/namespaces/default/pods', pod('pre-2'));
    const { informer, log } = podInformer(kube);
    await informer.start();
    expect(log.sort()).toEqual(['add pre-1', 'add pre-2']);
    log.length = 0;
    await call('POST', '/api/v1/namespaces/default/pods', pod('live'));
    await call('PATCH', '/api/v1/namespaces/default/pods/live', { metadata: { labels: { v: '2' } } }, 'application/merge-patch+json');
    await call('DELETE', '/api/v1/namespaces/default/pods/pre-1');
    await waitFor(() => log.length >= 3, { what: 'three events', timeoutMs: 5000, intervalMs: 10 });
    expect(log).toEqual(['add live', 'update live 2', 'delete pre-1']);
    expect(informer.list().map((p) => p.metadata?.name).sort()).toEqual(['live', 'pre-2']);
    await informer.stop();
  });

  it('recovers after 410 Gone by relisting', async () => {
    const kube = await start({ watchHistorySize: 5, defaultWatchTimeoutSeconds: 1 });
    const call = rawClient(kube);
    await call('POST', '/api/v1/namespaces/default/pods', pod('a'));
    const { informer, log } = podInformer(kube, false);
    await informer.start();
    await informer.stop();
    const staleRv = Number((await call('GET', '/api/v1/namespaces/default/pods')).json.metadata.resourceVersion);
    // While the informer is stopped, churn far past the history and delete what it knows.
    for (let i = 0; i < 20; i++) await call('POST', '/api/v1/namespaces/default/pods', pod(`churn-${i}`));
    await call('DELETE', '/api/v1/namespaces/default/pods/a');
    const probe = await readWatch(kube, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${staleRv}`, (e) => e.length > 0);
    expect(probe[0].object.code).toBe(410);
    log.length = 0;
    await informer.start();
    await waitFor(() => informer.list().length === 20, { what: 'relist', timeoutMs: 5000, intervalMs: 10 });
    expect(informer.list().some((p) => p.metadata?.name === 'a')).toBe(false);
    expect(log).toContain('delete a');
    await informer.stop();
  });

  it('reconnects after the server restarts on the same port, and resyncs', async () => {
    const first = await start();
    const port = Number(new URL(first.url).port);
    await rawClient(first)('POST', '/api/v1/namespaces/default/pods', pod('before-restart'));
    const { informer, log } = podInformer(first);
    await informer.start();
    expect(informer.list().map((p) => p.metadata?.name)).toEqual(['before-restart']);
    await first.close();
    const second = await start({ port, tokens: first.tokens, tls: first.tls });
    await rawClient(second)('POST', '/api/v1/namespaces/default/pods', pod('after-restart'));
    await waitFor(() => informer.list().map((p) => p.metadata?.name).join() === 'after-restart', { what: 'resync after restart', timeoutMs: 10_000, intervalMs: 10 });
    expect(log).toContain('delete before-restart');
    await rawClient(second)('POST', '/api/v1/namespaces/default/pods', pod('later'));
    await waitFor(() => log.includes('add later'), { what: 'live event after restart', timeoutMs: 5000, intervalMs: 10 });
    await informer.stop();
  });
});

describe('watch consistency', () => {
  it('delivers 1,000 concurrent updates to every watcher, complete and in order', async () => {
    const kube = await start();
    const call = rawClient(kube);
    const names = Array.from({ length: 20 }, (_, i) => `c-${i}`);
    for (const n of names) await call('POST', '/api/v1/namespaces/default/pods', pod(n));
    const rv = (await call('GET', '/api/v1/namespaces/default/pods')).json.metadata.resourceVersion;
    const watchers = [0, 1, 2].map(() => readWatch(kube, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`, (e) => e.length >= 1000, 20_000));
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => call('PATCH', `/api/v1/namespaces/default/pods/${names[i % names.length]}`, { metadata: { annotations: { [`u${i}`]: 'x' } } }, 'application/merge-patch+json')),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const streams = await Promise.all(watchers);
    for (const events of streams) {
      expect(events).toHaveLength(1000);
      const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
      expect(new Set(rvs).size).toBe(1000);
      expect(rvs.every((v, i) => i === 0 || v > rvs[i - 1]!)).toBe(true);
      // Each pod's annotations only grow, and its last event is its final state.
      for (const n of names) {
        const mine = events.filter((e) => e.object.metadata.name === n);
        const sizes = mine.map((e) => Object.keys(e.object.metadata.annotations ?? {}).length);
        expect(sizes).toEqual(sizes.map((_, i) => i + 1));
      }
      const seen = new Set(events.flatMap((e) => Object.keys(e.object.metadata.annotations ?? {})));
      expect(seen.size).toBe(1000);
    }
  });

  it('rejects a stale replace through client-node with 409', async () => {
    const kube = await start();
    const api = kubeConfigFor(kube, 'admin').makeApiClient(CoreV1Api);
    const created = await api.createNamespacedPod({ namespace: 'default', body: pod('cas') });
    await api.replaceNamespacedPod({ name: 'cas', namespace: 'default', body: { ...created, metadata: { ...created.metadata, labels: { a: '1' } } } });
    const err = await api
      .replaceNamespacedPod({ name: 'cas', namespace: 'default', body: { ...created, metadata: { ...created.metadata, labels: { a: '2' } } } })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<string>).code).toBe(409);
    expect(JSON.parse((err as ApiException<string>).body).reason).toBe('Conflict');
  });
});
