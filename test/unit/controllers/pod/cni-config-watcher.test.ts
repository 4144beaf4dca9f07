// The amazon-vpc-cni ConfigMap watcher over fake informers: live cooldown (with its event on every
// Node, only on change), the test floor, and live EC2 pacing knobs applied on top of the start config.
import type { V1ConfigMap, V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { defaultPacingConfig, type PacingConfig } from '../../../../src/aws/pacing-config.js';
import { startCniConfigWatcher } from '../../../../src/controllers/config/cni-config-watcher.js';
import type { ControllerContext } from '../../../../src/controllers/context.js';
import { silentLogger } from '../../../../src/observability/logger.js';

function fakeInformer<T>(objects: Map<string, T>, synced = true) {
  const handlers: { add: ((o: T) => void)[]; update: ((o: T, old?: T) => void)[]; del: ((o: T) => void)[] } = { add: [], update: [], del: [] };
  return {
    get: (k: string) => objects.get(k),
    list: () => [...objects.values()],
    hasSynced: () => synced,
    onAdd: (h: (o: T) => void) => handlers.add.push(h),
    onUpdate: (h: (o: T, old?: T) => void) => handlers.update.push(h),
    onDelete: (h: (o: T) => void) => handlers.del.push(h),
    handlers,
  };
}

const cm = (data: Record<string, string>): V1ConfigMap => ({ metadata: { name: 'amazon-vpc-cni', namespace: 'kube-system' }, data });

function setup(initial: Record<string, string> | undefined, settings: Partial<ControllerContext['settings']> = {}) {
  const cms = new Map<string, V1ConfigMap>(initial ? [['kube-system/amazon-vpc-cni', cm(initial)]] : []);
  const cniConfig = fakeInformer(cms);
  const nodes = fakeInformer(new Map<string, V1Node>([['a', { metadata: { name: 'a', uid: 'ua' } }], ['b', { metadata: { name: 'b', uid: 'ub' } }]]));
  const events: { target: string; reason: string; message: string }[] = [];
  const reconfigured: PacingConfig[] = [];
  const start = defaultPacingConfig();
  const ctx = {
    settings: { defaultCooldownSeconds: 60, ...settings },
    logger: silentLogger(),
    informers: { cniConfig, nodes },
    events: { normal: (t: { name: string }, reason: string, message: string) => events.push({ target: t.name, reason, message }) },
    ec2: { currentConfig: () => start, reconfigure: (c: PacingConfig) => reconfigured.push(c) },
  } as unknown as ControllerContext;
  const w = startCniConfigWatcher(ctx);
  const update = (data: Record<string, string>) => cniConfig.handlers.update.forEach((h) => h(cm(data)));
  return { w, events, reconfigured, update };
}

describe('startCniConfigWatcher', () => {
  it('starts from the ConfigMap without announcing it, then announces each change on every Node', () => {
    const { w, events, update } = setup({ 'branch-eni-cooldown': '90' });
    expect(w.cooldownSeconds()).toBe(90);
    expect(events).toEqual([]);
    const seen: number[] = [];
    w.onCooldownChange((s) => seen.push(s));
    update({ 'branch-eni-cooldown': '45' });
    expect(w.cooldownSeconds()).toBe(45);
    expect(seen).toEqual([45]);
    expect(events).toEqual([
      { target: 'a', reason: 'BranchENICoolDownPeriodUpdated', message: 'Branch ENI cool down period has been updated to 45s' },
      { target: 'b', reason: 'BranchENICoolDownPeriodUpdated', message: 'Branch ENI cool down period has been updated to 45s' },
    ]);
    // The same value again is not a change.
    update({ 'branch-eni-cooldown': '45', other: 'x' });
    expect(events).toHaveLength(2);
  });

  it('keeps the product floor of 30 s unless the settings lower it', () => {
    const prod = setup({ 'branch-eni-cooldown': '5' });
    expect(prod.w.cooldownSeconds()).toBe(30);
    const test = setup({ 'branch-eni-cooldown': '5' }, { minCooldownSeconds: 1 });
    expect(test.w.cooldownSeconds()).toBe(5);
    const none = setup(undefined);
    expect(none.w.cooldownSeconds()).toBe(60);
    prod.update({ 'branch-eni-cooldown': '1m' });
    expect(prod.w.cooldownSeconds()).toBe(60);
    expect(prod.events.at(-1)?.message).toBe('Branch ENI cool down period has been updated to 1m0s');
  });

  it('applies ec2-* pacing keys live on top of the start config, and skips bad ones', () => {
    const { reconfigured, update } = setup({});
    expect(reconfigured).toEqual([]);
    update({ 'ec2-rate-CreateNetworkInterface': '3', 'ec2-pool-pod-start': '4', 'ec2-rate-Nope': '1' });
    expect(reconfigured).toHaveLength(1);
    expect(reconfigured[0]!.rates.CreateNetworkInterface).toBe(3);
    expect(reconfigured[0]!.pools['pod-start']).toBe(4);
    // Removing the keys goes back to the start config.
    update({});
    expect(reconfigured).toHaveLength(2);
    expect(reconfigured[1]!.rates.CreateNetworkInterface).toBeUndefined();
  });

  it('reads the warm minimum and its window from the ConfigMap over the flags, keeping the last good value on a bad one', () => {
    const flags = setup(undefined, { branchEniMinWarm: 3, branchEniMinWarmWindowSeconds: 120 });
    expect([flags.w.minWarm(), flags.w.minWarmWindowSeconds()]).toEqual([3, 120]);
    const none = setup(undefined);
    expect([none.w.minWarm(), none.w.minWarmWindowSeconds()]).toEqual([0, 600]);
    const { w, update } = setup({ 'branch-eni-min-warm': '2', 'branch-eni-min-warm-window-seconds': '30' });
    expect([w.minWarm(), w.minWarmWindowSeconds()]).toEqual([2, 30]);
    update({ 'branch-eni-min-warm': 'lots', 'branch-eni-min-warm-window-seconds': '0' });
    expect([w.minWarm(), w.minWarmWindowSeconds()]).toEqual([2, 30]);
    update({ 'branch-eni-min-warm': '121' });
    expect(w.minWarm()).toBe(2);
    // Keys removed: the flag values (here the defaults) apply again.
    update({});
    expect([w.minWarm(), w.minWarmWindowSeconds()]).toEqual([0, 600]);
  });
});
