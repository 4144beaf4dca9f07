/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- these tests read arbitrary JSON returned by the API server */
// The local API server's semantics over raw HTTP: errors as Status objects, optimistic
// concurrency, subresources, binding, graceful deletion, finalizers, garbage collection,
// paging, watches (history, 410, bookmarks, initial events) and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKube, type LocalKube } from '../../../src/sim/kube/index.js';
import { SGP_CRD, pod, rawClient, readWatch } from './local-kube-client.js';

let kube: LocalKube;
let call: ReturnType<typeof rawClient>;

beforeAll(async () => {
  kube = await startLocalKube({ watchHistorySize: 50, bookmarkIntervalMs: 200 });
  call = rawClient(kube);
});
afterAll(async () => {
  await kube.close();
});

const PODS = '/api/v1/namespaces/default/pods';

describe('authentication', () => {
  it('rejects missing and unknown tokens with a 401 Status', async () => {
    const res = await fetch(`${kube.url}/api/v1/pods`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
    const bad = await fetch(`${kube.url}/api/v1/pods`, { headers: { Authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
  });

  it('serves /version without a token and HTTPS with the returned CA', async () => {
    const res = await fetch(`${kube.url}/version`);
    expect(await res.json()).toMatchObject({ major: '1', minor: '32' });
    expect(kube.caPem).toContain('BEGIN CERTIFICATE');
    expect(kube.httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('objects', () => {
  it('creates with uid, creationTimestamp, generateName and defaults; 409 AlreadyExists; 404 NotFound', async () => {
    const created = await call('POST', PODS, { ...pod(''), metadata: { generateName: 'web-' } });
    expect(created.status).toBe(201);
    expect(created.json.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(created.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.json.metadata.creationTimestamp).toMatch(/Z$/);
    expect(created.json.status.phase).toBe('Pending');
    expect(created.json.spec.serviceAccountName).toBe('default');
    const a = await call('POST', PODS, pod('dup'));
    expect(a.status).toBe(201);
    const b = await call('POST', PODS, pod('dup'));
    expect(b.status).toBe(409);
    expect(b.json).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', message: 'pods "dup" already exists' });
    const missing = await call('GET', `${PODS}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found', details: { name: 'nope', kind: 'pods' } });
  });

  it('drops undeclared fields of built-in kinds with a warning, and refuses them under fieldValidation=Strict', async () => {
    const body = { metadata: { name: 'typo', labels: { a: 'b' } }, spec: { nodeSelectr: { x: 'y' }, containers: [{ name: 'app', image: 'nginx:1', imagePullPolicyy: 'Always' }] } };
    const strict = await call('POST', `${PODS}?fieldValidation=Strict`, body);
    expect(strict.status).toBe(400);
    expect(strict.json.message).toBe('Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.nodeSelectr", unknown field "spec.containers[0].imagePullPolicyy"');
    const warned = await call('POST', PODS, body);
    expect(warned.status).toBe(201);
    expect(warned.json.spec.nodeSelectr).toBeUndefined();
    expect(warned.json.spec.containers[0].imagePullPolicyy).toBeUndefined();
    expect(warned.headers.get('warning')).toContain('unknown field \\"spec.nodeSelectr\\"');
    const cm = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', { metadata: { name: 'cm-typo' }, dat: { a: '1' } });
    expect(cm.json.message).toContain('unknown field "dat"');
  });

  it('answers 409 Conflict to an update with a stale resourceVersion', async () => {
    const created = (await call('POST', PODS, pod('stale'))).json;
    const first = await call('PUT', `${PODS}/stale`, { ...created, metadata: { ...created.metadata, labels: { v: '1' } } });
    expect(first.status).toBe(200);
    expect(Number(first.json.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const second = await call('PUT', `${PODS}/stale`, { ...created, metadata: { ...created.metadata, labels: { v: '2' } } });
    expect(second.status).toBe(409);
    expect(second.json.reason).toBe('Conflict');
    expect(second.json.message).toContain('the object has been modified');
  });

  it('treats metadata.uid in a patch as a precondition: 409 when the object was recreated under the same name', async () => {
    const first = (await call('POST', PODS, pod('reborn'))).json;
    const ok = await call('PATCH', `${PODS}/reborn`, { metadata: { uid: first.metadata.uid, annotations: { a: '1' } } }, 'application/merge-patch+json');
    expect(ok.status).toBe(200);
    await call('DELETE', `${PODS}/reborn?gracePeriodSeconds=0`);
    const second = (await call('POST', PODS, pod('reborn'))).json;
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    const stale = await call('PATCH', `${PODS}/reborn`, { metadata: { uid: first.metadata.uid, annotations: { a: '2' } } }, 'application/merge-patch+json');
    expect(stale.status).toBe(409);
    expect(stale.json.reason).toBe('Conflict');
    expect(stale.json.message).toContain(`Precondition failed: UID in precondition: ${first.metadata.uid}, UID in object meta: ${second.metadata.uid}`);
    expect((await call('GET', `${PODS}/reborn`)).json.metadata.annotations ?? {}).not.toHaveProperty('a');
  });

  it('keeps status out of main-endpoint updates and spec out of /status updates', async () => {
    await call('POST', PODS, pod('st'));
    const viaMain = await call('PATCH', `${PODS}/st`, { status: { phase: 'Running' }, metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    expect(viaMain.json.status.phase).toBe('Pending');
    expect(viaMain.json.metadata.labels).toEqual({ a: 'b' });
    const viaStatus = await call('PATCH', `${PODS}/st/status`, { status: { phase: 'Running', podIP: '10.0.0.5' }, spec: { nodeName: 'x' } }, 'application/merge-patch+json');
    expect(viaStatus.status).toBe(200);
    expect(viaStatus.json.status.phase).toBe('Running');
    expect(viaStatus.json.spec.nodeName).toBeUndefined();
  });

  it('binds a pod once through pods/binding; a second binding is 409', async () => {
    await call('POST', PODS, pod('bind-me'));
    const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-me' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } };
    const ok = await call('POST', `${PODS}/bind-me/binding`, binding);
    expect(ok.status).toBe(201);
    const got = (await call('GET', `${PODS}/bind-me`)).json;
    expect(got.spec.nodeName).toBe('node-1');
    expect(got.status.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    const again = await call('POST', `${PODS}/bind-me/binding`, { ...binding, target: { kind: 'Node', name: 'node-2' } });
    expect(again.status).toBe(409);
    expect(again.json.message).toContain('is already assigned to node "node-1"');
  });

  it('deletes bound pods gracefully until confirmed with gracePeriodSeconds=0; unbound pods at once', async () => {
    await call('POST', PODS, pod('graceful', {}, { nodeName: 'node-1', terminationGracePeriodSeconds: 20 }));
    const del = await call('DELETE', `${PODS}/graceful`);
    expect(del.status).toBe(200);
    expect(del.json.metadata.deletionTimestamp).toBeDefined();
    expect(del.json.metadata.deletionGracePeriodSeconds).toBe(20);
    expect((await call('GET', `${PODS}/graceful`)).status).toBe(200);
    const confirm = await call('DELETE', `${PODS}/graceful`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 });
    expect(confirm.status).toBe(200);
    expect((await call('GET', `${PODS}/graceful`)).status).toBe(404);
    await call('POST', PODS, pod('unbound'));
    await call('DELETE', `${PODS}/unbound`);
    expect((await call('GET', `${PODS}/unbound`)).status).toBe(404);
  });

  it('keeps objects with finalizers until the last one is removed; no new finalizers while deleting', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'fin', finalizers: ['example.com/hold'] }, data: { a: '1' } });
    const del = await call('DELETE', '/api/v1/namespaces/default/configmaps/fin');
    expect(del.json.metadata.deletionTimestamp).toBeDefined();
    const add = await call('PATCH', '/api/v1/namespaces/default/configmaps/fin', { metadata: { finalizers: ['example.com/hold', 'other.io/x'] } }, 'application/merge-patch+json');
    expect(add.status).toBe(422);
    expect(add.json.message).toContain('no new finalizers can be added');
    const drop = await call('PATCH', '/api/v1/namespaces/default/configmaps/fin', [{ op: 'remove', path: '/metadata/finalizers' }], 'application/json-patch+json');
    expect(drop.status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/fin')).status).toBe(404);
  });

  it('garbage-collects dependents whose owners are all gone, and orphans on request', async () => {
    const owner = (await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'owner' } })).json;
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid };
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'dep', ownerReferences: [ref] } });
    const keeper = (await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'owner2' } })).json;
    await call('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'dep2', ownerReferences: [ref, { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner2', uid: keeper.metadata.uid }] },
    });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/owner');
    const deadline = Date.now() + 3000;
    while ((await call('GET', '/api/v1/namespaces/default/configmaps/dep')).status !== 404) {
      if (Date.now() > deadline) throw new Error('dependent not collected');
      await new Promise((r) => setTimeout(r, 20));
    }
    const dep2 = (await call('GET', '/api/v1/namespaces/default/configmaps/dep2')).json;
    expect(dep2.metadata.ownerReferences.map((r: { name: string }) => r.name)).toEqual(['owner2']);
    const orphanOwner = (await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'o3' } })).json;
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'dep3', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'o3', uid: orphanOwner.metadata.uid }] } });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/o3?propagationPolicy=Orphan');
    const until = Date.now() + 3000;
    while ((await call('GET', '/api/v1/namespaces/default/configmaps/o3')).status !== 404 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const dep3 = await call('GET', '/api/v1/namespaces/default/configmaps/dep3');
    expect(dep3.status).toBe(200);
    expect(dep3.json.metadata.ownerReferences).toBeUndefined();
  });

  it('deletes dependents before the owner with propagationPolicy=Foreground', async () => {
    const owner = (await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'fg-owner' } })).json;
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'fg-dep', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'fg-owner', uid: owner.metadata.uid, blockOwnerDeletion: true }] } });
    const del = await call('DELETE', '/api/v1/namespaces/default/configmaps/fg-owner', { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
    expect(del.json.metadata.finalizers).toContain('foregroundDeletion');
    const deadline = Date.now() + 3000;
    while ((await call('GET', '/api/v1/namespaces/default/configmaps/fg-owner')).status !== 404) {
      if (Date.now() > deadline) throw new Error('owner not removed');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/fg-dep')).status).toBe(404);
  });

  it('refuses content in a missing namespace and empties a deleted one', async () => {
    const missing = await call('POST', '/api/v1/namespaces/ghost/configmaps', { metadata: { name: 'x' } });
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('namespaces "ghost" not found');
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'gone-soon' } });
    expect((await call('GET', '/api/v1/namespaces/gone-soon/serviceaccounts/default')).status).toBe(200);
    await call('POST', '/api/v1/namespaces/gone-soon/configmaps', { metadata: { name: 'x' } });
    const del = await call('DELETE', '/api/v1/namespaces/gone-soon');
    expect(del.json.status.phase).toBe('Terminating');
    const deadline = Date.now() + 3000;
    while ((await call('GET', '/api/v1/namespaces/gone-soon')).status !== 404) {
      if (Date.now() > deadline) throw new Error('namespace not removed');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await call('GET', '/api/v1/namespaces/gone-soon/configmaps/x')).status).toBe(404);
  });
});

describe('lists and selectors', () => {
  beforeAll(async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'paging' } });
    for (let i = 0; i < 25; i++) {
      await call('POST', '/api/v1/namespaces/paging/pods', pod(`p-${String(i).padStart(2, '0')}`, { tier: i % 2 ? 'odd' : 'even', idx: String(i) }, i < 5 ? { nodeName: 'n1' } : {}));
    }
  });

  it('pages with limit/continue over a consistent snapshot', async () => {
    const first = (await call('GET', '/api/v1/namespaces/paging/pods?limit=10')).json;
    expect(first.items).toHaveLength(10);
    expect(first.metadata.remainingItemCount).toBe(15);
    await call('DELETE', '/api/v1/namespaces/paging/pods/p-24');
    const names: string[] = first.items.map((p: { metadata: { name: string } }) => p.metadata.name);
    let token = first.metadata.continue;
    while (token) {
      const page = (await call('GET', `/api/v1/namespaces/paging/pods?limit=10&continue=${encodeURIComponent(token)}`)).json;
      expect(page.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
      names.push(...page.items.map((p: { metadata: { name: string } }) => p.metadata.name));
      token = page.metadata.continue;
    }
    expect(names).toHaveLength(25);
    expect(names).toContain('p-24');
    expect(new Set(names).size).toBe(25);
    const bad = await call('GET', '/api/v1/namespaces/paging/pods?limit=10&continue=garbage');
    expect(bad.status).toBe(400);
  });

  it('filters by label and field selectors, with 400 for unknown fields and bad syntax', async () => {
    const odd = (await call('GET', '/api/v1/namespaces/paging/pods?labelSelector=tier%3Dodd,idx+in+(1,3,5,8)')).json;
    expect(odd.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['p-01', 'p-03', 'p-05']);
    const notEven = (await call('GET', '/api/v1/namespaces/paging/pods?labelSelector=tier!%3Deven,!missing')).json;
    expect(notEven.items).toHaveLength(12);
    const onNode = (await call('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1')).json;
    expect(onNode.items).toHaveLength(5);
    const pending = (await call('GET', '/api/v1/namespaces/paging/pods?fieldSelector=status.phase%3DPending,metadata.name!%3Dp-00')).json;
    expect(pending.items).toHaveLength(23);
    const unknown = await call('GET', '/api/v1/pods?fieldSelector=spec.bogus%3D1');
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toBe('field label not supported: spec.bogus');
    const syntax = await call('GET', '/api/v1/pods?labelSelector=a+in+(');
    expect(syntax.status).toBe(400);
  });

  it('answers Tables for kubectl with the pod columns', async () => {
    const res = await call('GET', '/api/v1/namespaces/paging/pods?limit=2', undefined, 'application/json', {
      Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    expect(res.json.kind).toBe('Table');
    expect(res.json.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    expect(res.json.rows[0].cells.slice(0, 4)).toEqual(['p-00', '0/1', 'Pending', 0]);
    expect(res.json.rows[0].object.kind).toBe('PartialObjectMetadata');
  });
});

describe('watch', () => {
  it('replays from a resourceVersion, filters by selector, and turns a selector exit into DELETED', async () => {
    const list = (await call('GET', '/api/v1/namespaces/default/pods')).json;
    const rv = list.metadata.resourceVersion;
    await call('POST', PODS, pod('w1', { watch: 'me' }));
    await call('PATCH', `${PODS}/w1`, { metadata: { labels: { watch: 'no' } } }, 'application/merge-patch+json');
    await call('PATCH', `${PODS}/w1`, { metadata: { labels: { watch: 'me' } } }, 'application/merge-patch+json');
    const events = await readWatch(kube, `${PODS}?watch=true&resourceVersion=${rv}&labelSelector=watch%3Dme`, (e) => e.length >= 3);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'DELETED', 'ADDED']);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
  });

  it('watches one object through the legacy /watch/ path and by metadata.name', async () => {
    const rv = (await call('GET', '/api/v1/namespaces/default/pods')).json.metadata.resourceVersion;
    await call('POST', PODS, pod('solo'));
    await call('POST', PODS, pod('other'));
    await call('PATCH', `${PODS}/solo`, { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json');
    const legacy = await readWatch(kube, `/api/v1/watch/namespaces/default/pods/solo?resourceVersion=${rv}`, (e) => e.length >= 2);
    expect(legacy.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED solo', 'MODIFIED solo']);
    const byName = await readWatch(kube, `${PODS}?watch=1&fieldSelector=metadata.name%3Dsolo`, (e) => e.length >= 1);
    expect(byName.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED solo']);
  });

  it('sends an ERROR 410 Expired event when the resourceVersion is older than the history', async () => {
    const events = await readWatch(kube, `${PODS}?watch=true&resourceVersion=1`, (e) => e.length >= 1);
    expect(events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    const old = (await call('GET', '/api/v1/namespaces/default/configmaps')).json.metadata.resourceVersion;
    for (let i = 0; i < 120; i++) await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `churn-${i}` } });
    const late = await readWatch(kube, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${old}`, (e) => e.length >= 1);
    expect(late[0].object.code).toBe(410);
  });

  it('sends bookmarks, initial events with the end marker, and honours timeoutSeconds', async () => {
    const started = Date.now();
    const events = await readWatch(kube, `/api/v1/namespaces/paging/pods?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=&timeoutSeconds=1`, () => false, 4000);
    expect(Date.now() - started).toBeLessThan(3500);
    const added = events.filter((e) => e.type === 'ADDED');
    expect(added.length).toBeGreaterThanOrEqual(24);
    const marker = events.findIndex((e) => e.type === 'BOOKMARK' && e.object.metadata.annotations?.['k8s.io/initial-events-end'] === 'true');
    expect(marker).toBe(added.length);
    expect(events.filter((e) => e.type === 'BOOKMARK').length).toBeGreaterThanOrEqual(2);
    const refused = await call('GET', '/api/v1/pods?watch=true&sendInitialEvents=true');
    expect(refused.status).toBe(422);
  });
});

describe('custom resources', () => {
  const SGPS = '/apis/vpcresources.k8s.aws/v1beta1/namespaces/default/securitygrouppolicies';
  beforeAll(async () => {
    expect((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', SGP_CRD)).status).toBe(201);
  });

  it('serves the resource at once, in discovery too, with Established status', async () => {
    const disc = (await call('GET', '/apis/vpcresources.k8s.aws/v1beta1')).json;
    expect(disc.resources).toContainEqual(expect.objectContaining({ name: 'securitygrouppolicies', kind: 'SecurityGroupPolicy', shortNames: ['sgp'], namespaced: true }));
    expect(disc.resources).toContainEqual(expect.objectContaining({ name: 'securitygrouppolicies/status' }));
    const crd = (await call('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/securitygrouppolicies.vpcresources.k8s.aws')).json;
    expect(crd.status.conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
  });

  it('validates against the schema with 422 naming the field, prunes unknown fields, bumps generation on spec change', async () => {
    const bad = await call('POST', SGPS, { apiVersion: 'vpcresources.k8s.aws/v1beta1', kind: 'SecurityGroupPolicy', metadata: { name: 'bad' }, spec: { mode: 'x', securityGroups: { groupIds: ['sg-zz'] } } });
    expect(bad.status).toBe(422);
    expect(bad.json.reason).toBe('Invalid');
    const fields = bad.json.details.causes.map((c: { field: string }) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['spec.securityGroups.groupIds[0]', 'spec.mode']));
    expect(bad.json.message).toContain('SecurityGroupPolicy.vpcresources.k8s.aws "bad" is invalid');
    const empty = await call('POST', SGPS, { metadata: { name: 'empty' }, spec: { securityGroups: { groupIds: [] } } });
    expect(empty.json.details.causes[0]).toMatchObject({ field: 'spec.securityGroups.groupIds', message: expect.stringContaining('should have at least 1 items') });
    const ok = await call('POST', `${SGPS}?fieldValidation=Warn`, { metadata: { name: 'ok' }, spec: { extra: 1, securityGroups: { groupIds: ['sg-0123456789abcdef0'] } }, status: { ready: true } });
    expect(ok.status).toBe(201);
    expect(ok.json.spec.extra).toBeUndefined();
    expect(ok.json.status).toBeUndefined();
    expect(ok.headers.get('warning')).toContain('unknown field \\"spec.extra\\"');
    expect(ok.json.metadata.generation).toBe(1);
    const strict = await call('POST', `${SGPS}?fieldValidation=Strict`, { metadata: { name: 'strict' }, spec: { extra: 1, securityGroups: { groupIds: ['sg-0123456789abcdef0'] } } });
    expect(strict.status).toBe(400);
    expect(strict.json.message).toContain('strict decoding error: unknown field "spec.extra"');
    const labelled = await call('PATCH', `${SGPS}/ok`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    expect(labelled.json.metadata.generation).toBe(1);
    const changed = await call('PATCH', `${SGPS}/ok`, { spec: { mode: 'strict' } }, 'application/merge-patch+json');
    expect(changed.json.metadata.generation).toBe(2);
    const status = await call('PATCH', `${SGPS}/ok/status`, { status: { ready: true } }, 'application/merge-patch+json');
    expect(status.json.status).toEqual({ ready: true });
    expect(status.json.metadata.generation).toBe(2);
    const smp = await call('PATCH', `${SGPS}/ok`, { spec: { mode: 'loose' } }, 'application/strategic-merge-patch+json');
    expect(smp.status).toBe(415);
  });

  it('stops serving the resource and drops its objects when the CRD is deleted', async () => {
    await call('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/securitygrouppolicies.vpcresources.k8s.aws');
    expect((await call('GET', SGPS)).status).toBe(404);
    expect((await call('GET', '/apis')).json.groups.map((g: { name: string }) => g.name)).not.toContain('vpcresources.k8s.aws');
  });
});

describe('bad input', () => {
  it.each([
    ['malformed JSON', 'POST', PODS, '{"metadata": {', 'application/json', 400, 'BadRequest'],
    ['malformed YAML', 'POST', PODS, 'metadata: [unclosed', 'application/yaml', 400, 'BadRequest'],
    ['a JSON array as an object', 'POST', PODS, '[1,2]', 'application/json', 400, 'BadRequest'],
    ['an unknown content type', 'POST', PODS, 'x', 'text/plain', 415, 'UnsupportedMediaType'],
    ['an unknown patch type', 'PATCH', `${PODS}/dup`, '{}', 'application/json', 415, 'UnsupportedMediaType'],
    ['an unknown resource', 'GET', '/api/v1/widgets', undefined, 'application/json', 404, 'NotFound'],
    ['an unknown group', 'GET', '/apis/nope.io/v1/things', undefined, 'application/json', 404, 'NotFound'],
    ['an unsupported verb', 'PUT', PODS, '{}', 'application/json', 405, 'MethodNotAllowed'],
    ['a create outside any namespace', 'POST', '/api/v1/pods', '{"metadata":{"name":"x"}}', 'application/json', 405, 'MethodNotAllowed'],
    ['a namespaced item without its namespace', 'GET', '/api/v1/pods/dup', undefined, 'application/json', 404, 'NotFound'],
    ['a kind mismatch', 'POST', PODS, '{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x"}}', 'application/json', 400, 'BadRequest'],
    ['a pod without containers', 'POST', PODS, '{"metadata":{"name":"empty"},"spec":{}}', 'application/json', 422, 'Invalid'],
    ['an invalid name', 'POST', '/api/v1/namespaces/default/configmaps', '{"metadata":{"name":"Bad_Name"}}', 'application/json', 422, 'Invalid'],
    ['a JSON patch on a missing path', 'PATCH', `${PODS}/dup`, '[{"op":"remove","path":"/metadata/nope/x"}]', 'application/json-patch+json', 422, 'Invalid'],
    ['a bad limit', 'GET', `${PODS}?limit=-3`, undefined, 'application/json', 400, 'BadRequest'],
    ['a broken percent-encoding', 'GET', '/api/v1/namespaces/%E0%A4%A/pods', undefined, 'application/json', 400, 'BadRequest'],
    ['a bad resourceVersion', 'GET', `${PODS}?resourceVersion=abc`, undefined, 'application/json', 422, 'Invalid'],
    ['a bad label selector', 'GET', `${PODS}?labelSelector=a%3D%3D%3Db`, undefined, 'application/json', 400, 'BadRequest'],
    ['a bad dryRun', 'POST', `${PODS}?dryRun=Maybe`, '{}', 'application/json', 400, 'BadRequest'],
    ['a create with a resourceVersion', 'POST', PODS, '{"metadata":{"name":"rv","resourceVersion":"5"},"spec":{"containers":[{"name":"a","image":"b"}]}}', 'application/json', 400, 'BadRequest'],
    ['a name mismatch on update', 'PUT', `${PODS}/dup`, '{"metadata":{"name":"other"}}', 'application/json', 400, 'BadRequest'],
    ['an update of a missing object', 'PUT', `${PODS}/missing`, '{"metadata":{"name":"missing"}}', 'application/json', 404, 'NotFound'],
    ['a protobuf body of an unsupported kind', 'POST', PODS, 'k8s\u0000junk', 'application/vnd.kubernetes.protobuf', 400, 'BadRequest'],
  ])('%s gets a Status error', async (_name, method, path, body, ct, code, reason) => {
    const res = await call(method, path, body, ct);
    expect(res.status).toBe(code);
    expect(res.json).toMatchObject({ kind: 'Status', status: 'Failure', code, reason });
  });

  it('refuses oversized bodies with 413 and keeps serving', async () => {
    const res = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'big' }, data: { x: 'y'.repeat(4 * 1024 * 1024) } });
    expect(res.status).toBe(413);
    expect((await call('GET', '/api/v1/namespaces')).status).toBe(200);
  });

  it('survives garbage on the socket', async () => {
    const net = await import('node:net');
    const port = Number(new URL(kube.url).port);
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end('\x00\x01garbage\r\n\r\n'));
      s.on('data', () => undefined);
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    expect((await call('GET', '/api/v1/namespaces')).status).toBe(200);
  });
});
