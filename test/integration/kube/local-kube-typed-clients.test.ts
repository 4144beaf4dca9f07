/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call -- these tests read arbitrary JSON returned by the API server */
// The typed @kubernetes/client-node APIs the controller and the sandbox use, against the local
// API server: events in both groups (one storage, two views), leases (leader election's
// optimistic concurrency), custom resources with merge patches on the main and status endpoints.
import {
  ApiException,
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeConfigFor, startLocalKube, type LocalKube } from '../../../src/sim/kube/index.js';
import { SGP_CRD } from './local-kube-client.js';

let kube: LocalKube;
beforeAll(async () => {
  kube = await startLocalKube();
});
afterAll(async () => {
  await kube.close();
});

describe('typed client-node APIs', () => {
  it('work over HTTPS with the returned CA', async () => {
    const core = kubeConfigFor(kube, 'admin', 'https').makeApiClient(CoreV1Api);
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']));
  });

  it('stores events.k8s.io/v1 events as core events, selectable by involvedObject and regarding', async () => {
    const kc = kubeConfigFor(kube, 'controller');
    const core = kc.makeApiClient(CoreV1Api);
    const pod = await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'ev-pod' }, spec: { containers: [{ name: 'a', image: 'b:1' }] } } });
    await kc.makeApiClient(EventsV1Api).createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: 'ev-pod.1' },
        eventTime: new Date(),
        reportingController: 'vpc-resource-controller',
        reportingInstance: 'controller-0',
        action: 'Allocate',
        reason: 'ResourceAllocated',
        note: 'Allocated [] to the pod',
        type: 'Normal',
        regarding: { kind: 'Pod', name: 'ev-pod', namespace: 'default', uid: pod.metadata?.uid, apiVersion: 'v1' },
      },
    });
    const coreEvents = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=ev-pod,involvedObject.uid=${pod.metadata?.uid ?? ''},reason=ResourceAllocated` });
    expect(coreEvents.items).toHaveLength(1);
    expect(coreEvents.items[0]).toMatchObject({ message: 'Allocated [] to the pod', reportingComponent: 'vpc-resource-controller', involvedObject: { kind: 'Pod', name: 'ev-pod' } });
    const v1 = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: 'default', fieldSelector: 'regarding.name=ev-pod' });
    expect(v1.items[0]).toMatchObject({ note: 'Allocated [] to the pod', reportingController: 'vpc-resource-controller', regarding: { name: 'ev-pod' } });
    const none = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=other' });
    expect(none.items).toHaveLength(0);
  });

  it('gives leases optimistic concurrency, as leader election needs', async () => {
    const leases = kubeConfigFor(kube, 'controller').makeApiClient(CoordinationV1Api);
    const now = new Date();
    const lease = await leases.createNamespacedLease({
      namespace: 'kube-system',
      body: { metadata: { name: 'cp-vpc-resource-controller' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: now, renewTime: now } },
    });
    const renewed = await leases.replaceNamespacedLease({ name: 'cp-vpc-resource-controller', namespace: 'kube-system', body: { ...lease, spec: { ...lease.spec, renewTime: new Date() } } });
    expect(renewed.spec?.holderIdentity).toBe('a');
    const stolen = await leases
      .replaceNamespacedLease({ name: 'cp-vpc-resource-controller', namespace: 'kube-system', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'b' } } })
      .then(() => 'replaced', (e: unknown) => (e instanceof ApiException ? e.code : e));
    expect(stolen).toBe(409);
    const dup = await leases.createNamespacedLease({ namespace: 'kube-system', body: { metadata: { name: 'cp-vpc-resource-controller' } } }).then(() => 0, (e: unknown) => (e as ApiException<string>).code);
    expect(dup).toBe(409);
  });

  it('serves custom resources to CustomObjectsApi, with merge patches on spec and status', async () => {
    const kc = kubeConfigFor(kube, 'admin');
    await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: SGP_CRD });
    const custom = kc.makeApiClient(CustomObjectsApi);
    const ref = { group: 'vpcresources.k8s.aws', version: 'v1beta1', namespace: 'default', plural: 'securitygrouppolicies' };
    await custom.createNamespacedCustomObject({ ...ref, body: { apiVersion: 'vpcresources.k8s.aws/v1beta1', kind: 'SecurityGroupPolicy', metadata: { name: 'p' }, spec: { securityGroups: { groupIds: ['sg-0123456789abcdef0'] } } } });
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const patched = await custom.patchNamespacedCustomObject({ ...ref, name: 'p', body: { spec: { mode: 'strict' } } }, merge);
    expect(patched.spec.mode).toBe('strict');
    expect(patched.metadata.generation).toBe(2);
    const status = await custom.patchNamespacedCustomObjectStatus({ ...ref, name: 'p', body: { status: { ready: true } } }, merge);
    expect(status.status).toEqual({ ready: true });
    const invalid = await custom
      .patchNamespacedCustomObject({ ...ref, name: 'p', body: { spec: { securityGroups: { groupIds: ['nope'] } } } }, merge)
      .then(() => undefined, (e: unknown) => e as ApiException<string>);
    expect(invalid?.code).toBe(422);
    expect(JSON.parse(invalid?.body ?? '{}').details.causes[0].field).toBe('spec.securityGroups.groupIds[0]');
    const list = await custom.listNamespacedCustomObject({ ...ref });
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['p']);
  });
});
