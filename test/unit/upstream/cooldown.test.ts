// Ported from aws/amazon-vpc-resource-controller-k8s pkg/provider/branch/cooldown/cooldown_test.go
// (TestCoolDown_InitCoolDownPeriod) and the cooldown part of controllers/core/configmap_controller.go
// (its tests mock the cooldown at "30"): the branch ENI cooldown read from ConfigMap
// kube-system/amazon-vpc-cni, key branch-eni-cooldown. Written against our ConfigMap watcher.
import type { V1ConfigMap, V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { defaultPacingConfig } from '../../../src/aws/pacing-config.js';
import { startCniConfigWatcher } from '../../../src/controllers/config/cni-config-watcher.js';
import type { ControllerContext } from '../../../src/controllers/context.js';
import { silentLogger } from '../../../src/observability/logger.js';

const cm = (data: Record<string, string>): V1ConfigMap => ({ metadata: { name: 'amazon-vpc-cni', namespace: 'kube-system' }, data });

function watcher(initial: V1ConfigMap | undefined) {
  const cms = new Map<string, V1ConfigMap>(initial ? [['kube-system/amazon-vpc-cni', initial]] : []);
  const updates: ((o: V1ConfigMap) => void)[] = [];
  const events: { node: string; reason: string; message: string }[] = [];
  const informer = <T>(m: Map<string, T>, onUpdate?: (h: (o: T) => void) => void) => ({
    get: (k: string) => m.get(k),
    list: () => [...m.values()],
    hasSynced: () => true,
    onAdd: () => undefined,
    onUpdate: onUpdate ?? (() => undefined),
    onDelete: () => undefined,
  });
  const ctx = {
    settings: { defaultCooldownSeconds: 60 },
    logger: silentLogger(),
    informers: {
      cniConfig: informer(cms, (h) => updates.push(h)),
      nodes: informer(new Map<string, V1Node>([['n', { metadata: { name: 'ip-10-0-1-23', uid: 'u1' } }]])),
    },
    events: { normal: (t: { name: string }, reason: string, message: string) => events.push({ node: t.name, reason, message }) },
    ec2: { currentConfig: () => defaultPacingConfig(), reconfigure: () => undefined },
  } as unknown as ControllerContext;
  const w = startCniConfigWatcher(ctx);
  return { w, events, update: (c: V1ConfigMap) => updates.forEach((h) => h(c)) };
}

describe('cooldown_test.go TestCoolDown_InitCoolDownPeriod', () => {
  it('VpcCniConfigMap_Exists, verifies cooldown period is set to configmap value when exists', () => {
    expect(watcher(cm({ 'branch-eni-cooldown': '30' })).w.cooldownSeconds()).toBe(30);
  });
  it('VpcCniConfigMap_NotExists, verifies cool down period is set to default when configmap does not exist', () => {
    expect(watcher(undefined).w.cooldownSeconds()).toBe(60);
  });
  it('VpcCniConfigMap_Exists_NilData, verifies cool period is set to default when configmap data does not exist', () => {
    expect(watcher(cm({})).w.cooldownSeconds()).toBe(60);
  });
  it('VpcCniConfigMap_Exists_ErrData, verifies cool period is set to default when configmap data is incorrect', () => {
    expect(watcher(cm({ 'branch-eni-cooldown': 'aaa' })).w.cooldownSeconds()).toBe(60);
  });
  it('VpcCniConfigMap_Force30s_If_Set_Smaller, verifies cooldown period is set to 30 seconds when setting to less than 30', () => {
    expect(watcher(cm({ 'branch-eni-cooldown': '29' })).w.cooldownSeconds()).toBe(30);
  });
});

describe('configmap_controller.go: a changed cooldown', () => {
  it('is applied live and announced on every Node with BranchENICoolDownPeriodUpdated, upstream wording', () => {
    const { w, events, update } = watcher(cm({ 'branch-eni-cooldown': '60' }));
    update(cm({ 'branch-eni-cooldown': '30' }));
    expect(w.cooldownSeconds()).toBe(30);
    expect(events).toEqual([{ node: 'ip-10-0-1-23', reason: 'BranchENICoolDownPeriodUpdated', message: 'Branch ENI cool down period has been updated to 30s' }]);
  });
  it('the key removed → ours: back to the default 60 s (difference D7; upstream keeps the current period)', () => {
    const { w, update } = watcher(cm({ 'branch-eni-cooldown': '90' }));
    update(cm({}));
    expect(w.cooldownSeconds()).toBe(60);
  });
  it('an unparsable value at run time → ours: the default 60 s (difference D7; upstream keeps the current period)', () => {
    const { w, update } = watcher(cm({ 'branch-eni-cooldown': '90' }));
    update(cm({ 'branch-eni-cooldown': 'aaa' }));
    expect(w.cooldownSeconds()).toBe(60);
  });
  it('a value above 24 h → ours: capped at 24 h (difference D8; upstream has no maximum)', () => {
    expect(watcher(cm({ 'branch-eni-cooldown': '90000' })).w.cooldownSeconds()).toBe(86400);
  });
});
