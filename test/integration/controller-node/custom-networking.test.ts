// ENIConfig before trunk (contract §5), against a sandbox with custom networking on: the CNI
// upgrade race (SecurityGroupsForPods registered before CustomNetworking) never yields a trunk
// outside the node's ENIConfig subnet or with other groups; a missing ENIConfig holds the trunk
// back until it exists; a malformed one is reported and its IDs never reach EC2; a 2-slot type is
// refused with nothing half-made; drift after the fact is reported and (optionally) fixed.
import { CreateSecurityGroupCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENICONFIG_GROUP,
  ENICONFIG_KIND,
  ENICONFIG_PLURAL,
  ENICONFIG_VERSION,
  LABEL_HAS_TRUNK_ATTACHED,
  REASON_ENICONFIG_NOT_SETTLED,
  REASON_INSUFFICIENT_INTERFACE_SLOTS,
  REASON_TRUNK_SECURITY_GROUP_DRIFT,
  REASON_TRUNK_SUBNET_DRIFT,
  TAG_INSTANCE_ID,
} from '../../../src/apis/constants.js';
import type { RunningController } from '../../../src/controllers/controller.js';
import { jsonPatchCustomObject } from '../../../src/kube/patch.js';
import { makeSandboxEc2Client } from '../../../src/sim/sandbox/ec2-client.js';
import { ENICONFIG_LABEL_KEY } from '../../../src/sim/sandbox/sandbox.js';
import { checkInvariants, type TrunkExpectation } from '../helpers/invariants.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { admin, instanceOfNode, listNodes, nodeEvents, podEniCapacity, startRecordingProxy, startTestController, trunks, type RecordingProxy } from './helpers.js';

describe('controller: custom networking', () => {
  let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
  let controller: RunningController | undefined;
  let proxy: RecordingProxy;
  const eniConfigRef = { group: ENICONFIG_GROUP, version: ENICONFIG_VERSION, plural: ENICONFIG_PLURAL };

  beforeAll(async () => {
    sandbox = await startTestSandbox({ nodes: 'm5.large=0', customNetworking: true, featureOrder: 'sgp-first', featureDelayMs: 150, ec2: { attachDelayMs: 100 } });
    proxy = await startRecordingProxy(sandbox.ec2.endpoint);
  }, 60_000);
  afterAll(async () => {
    await controller?.stop();
    await proxy?.close();
    await sandbox?.stop();
  });

  /** Each instance's trunk must be in its zone's ENIConfig subnet with that ENIConfig's group. */
  const expectedTrunk = (instanceId: string): TrunkExpectation | undefined => {
    const zone = sandbox.ec2.world.getInstance(instanceId)?.availabilityZone;
    const cfg = zone ? sandbox.eniConfigs[zone] : undefined;
    return cfg ? { subnetId: cfg.subnetId, groups: [cfg.securityGroupId] } : undefined;
  };

  /** Adds nodes and, until all have capacity, checks every trunk in EC2 every few ms. */
  async function addWaveWatchingTrunks(spec: string): Promise<string[]> {
    const violations: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        violations.push(...(await checkInvariants(sandbox, { skipPods: true, expectedTrunk })));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const names = await sandbox.addNodes(spec);
    await waitFor(async () => (await listNodes(sandbox)).filter((n) => names.includes(n.metadata?.name ?? '')).every((n) => podEniCapacity(n) === '9'), {
      timeoutMs: 20_000,
      what: `capacity on ${spec}`,
    });
    watching = false;
    await watcher;
    return [...new Set(violations)];
  }

  it('CNI upgrade race: no trunk is ever created outside the ENIConfig subnet or with other groups, over repeated runs', async () => {
    // Run 1 and 2: the controller knows custom networking is on but has no label key, so it must
    // wait for the CNINode's CustomNetworking feature that the CNI adds 150 ms after SecurityGroupsForPods.
    controller = await startTestController(sandbox, {}, { customNetworking: true, ec2Endpoint: proxy.endpoint });
    expect(await addWaveWatchingTrunks('m5.large=6')).toEqual([]);
    expect(await addWaveWatchingTrunks('m5.large=6')).toEqual([]);
    // Run 3, after a restart: with the zone label key the ENIConfig is known at once.
    await controller.stop();
    controller = await startTestController(sandbox, {}, { customNetworking: true, eniConfigLabelKey: ENICONFIG_LABEL_KEY, ec2Endpoint: proxy.endpoint });
    expect(await addWaveWatchingTrunks('m5.large=6')).toEqual([]);
    expect(trunks(sandbox)).toHaveLength(18);
    expect(await checkInvariants(sandbox, { skipPods: true, expectedTrunk })).toEqual([]);
  });

  it('ENIConfig missing: a Warning event and no trunk; created later: the trunk follows within seconds', async () => {
    const { custom } = admin(sandbox);
    for (const zone of Object.keys(sandbox.eniConfigs)) await custom.deleteClusterCustomObject({ ...eniConfigRef, name: zone });
    // A restart now still finds the existing trunks and offers them to the pod side: only creating waits.
    await controller?.stop();
    controller = await startTestController(sandbox, {}, { customNetworking: true, eniConfigLabelKey: ENICONFIG_LABEL_KEY, ec2Endpoint: proxy.endpoint });
    const c = controller;
    await waitFor(() => c.ctx.trunks.list().length === 18, { timeoutMs: 10_000, what: 'existing trunks adopted while ENIConfigs are missing' });
    const [name] = await sandbox.addNodes('m5.large=1');
    const node = (await listNodes(sandbox)).find((n) => n.metadata?.name === name);
    const instanceId = instanceOfNode(node ?? {});
    const zone = sandbox.ec2.world.getInstance(instanceId)?.availabilityZone ?? '';
    const events = await waitFor(async () => {
      const ev = await nodeEvents(sandbox, name ?? '');
      return ev.find((e) => e.reason === REASON_ENICONFIG_NOT_SETTLED);
    });
    expect(events.type).toBe('Warning');
    expect(events.message).toContain(`ENIConfig ${zone}`);
    expect(events.message).toContain('does not exist');
    await new Promise((r) => setTimeout(r, 500));
    expect(trunks(sandbox).filter((t) => t.attachment?.instanceId === instanceId)).toEqual([]);
    expect(podEniCapacity((await listNodes(sandbox)).find((n) => n.metadata?.name === name) ?? {})).toBeUndefined();

    const cfg = sandbox.eniConfigs[zone];
    const created = Date.now();
    await custom.createClusterCustomObject({
      ...eniConfigRef,
      body: { apiVersion: `${ENICONFIG_GROUP}/${ENICONFIG_VERSION}`, kind: ENICONFIG_KIND, metadata: { name: zone }, spec: { subnet: cfg?.subnetId, securityGroups: [cfg?.securityGroupId] } },
    });
    await waitFor(async () => podEniCapacity((await listNodes(sandbox)).find((n) => n.metadata?.name === name) ?? {}) === '9', { timeoutMs: 5_000, what: 'trunk after the ENIConfig appeared' });
    expect(Date.now() - created).toBeLessThan(5_000);
    expect(await checkInvariants(sandbox, { skipPods: true, expectedTrunk })).toEqual([]);
  });

  it('malformed ENIConfig: an event naming the problem, and no EC2 call carries its IDs', async () => {
    const { custom } = admin(sandbox);
    // The next node lands in the next zone; all but one zone still have no ENIConfig.
    const [name] = await sandbox.addNodes('m5.large=1');
    const node = (await listNodes(sandbox)).find((n) => n.metadata?.name === name);
    const instanceId = instanceOfNode(node ?? {});
    const zone = sandbox.ec2.world.getInstance(instanceId)?.availabilityZone ?? '';
    await custom.createClusterCustomObject({
      ...eniConfigRef,
      body: { apiVersion: `${ENICONFIG_GROUP}/${ENICONFIG_VERSION}`, kind: ENICONFIG_KIND, metadata: { name: zone }, spec: { subnet: 'subnet-NOTVALID', securityGroups: ['sg-zz12'] } },
    });
    const ev = await waitFor(async () => (await nodeEvents(sandbox, name ?? '')).find((e) => e.reason === REASON_ENICONFIG_NOT_SETTLED && e.message?.includes('invalid')));
    expect(ev.message).toContain('spec.subnet');
    expect(ev.message).toContain('spec.securityGroups[0]');
    await new Promise((r) => setTimeout(r, 500));
    expect(proxy.bodies.filter((b) => b.includes('subnet-NOTVALID') || b.includes('sg-zz12'))).toEqual([]);
    expect(trunks(sandbox).filter((t) => t.attachment?.instanceId === instanceId)).toEqual([]);

    // Fixed: the trunk follows.
    const cfg = sandbox.eniConfigs[zone];
    await jsonPatchCustomObject(custom, { ...eniConfigRef, name: zone }, [{ op: 'replace', path: '/spec', value: { subnet: cfg?.subnetId, securityGroups: [cfg?.securityGroupId] } }]);
    await waitFor(async () => podEniCapacity((await listNodes(sandbox)).find((n) => n.metadata?.name === name) ?? {}) === '9', { timeoutMs: 5_000, what: 'trunk after the fix' });
    expect(await checkInvariants(sandbox, { skipPods: true, expectedTrunk })).toEqual([]);
  });

  it('r7a.medium (2 interface slots) with custom networking: refused with a clear event, nothing half-made', async () => {
    const { custom } = admin(sandbox);
    for (const [zone, cfg] of Object.entries(sandbox.eniConfigs)) {
      try {
        await custom.createClusterCustomObject({
          ...eniConfigRef,
          body: { apiVersion: `${ENICONFIG_GROUP}/${ENICONFIG_VERSION}`, kind: ENICONFIG_KIND, metadata: { name: zone }, spec: { subnet: cfg.subnetId, securityGroups: [cfg.securityGroupId] } },
        });
      } catch {
        // exists already
      }
    }
    const creates = sandbox.ec2.control.counter('CreateNetworkInterface').calls;
    const [name] = await sandbox.addNodes('r7a.medium=1');
    const ev = await waitFor(async () => (await nodeEvents(sandbox, name ?? '')).find((e) => e.reason === REASON_INSUFFICIENT_INTERFACE_SLOTS));
    expect(ev.type).toBe('Warning');
    expect(ev.message).toContain('r7a.medium has only 2 network interface slots');
    await new Promise((r) => setTimeout(r, 500));
    const node = (await listNodes(sandbox)).find((n) => n.metadata?.name === name);
    const instanceId = instanceOfNode(node ?? {});
    expect(sandbox.ec2.world.listEnis().filter((e) => e.tags[TAG_INSTANCE_ID] === instanceId)).toEqual([]);
    expect(sandbox.ec2.control.counter('CreateNetworkInterface').calls).toBe(creates);
    expect(podEniCapacity(node ?? {})).toBeUndefined();
    expect(node?.metadata?.labels?.[LABEL_HAS_TRUNK_ATTACHED]).not.toBe('true');
  });

  it('ENIConfig changed after the trunk exists: group drift reported, subnet drift says replace the node', async () => {
    const { custom } = admin(sandbox);
    const zone = Object.keys(sandbox.eniConfigs)[0] ?? '';
    const cfg = sandbox.eniConfigs[zone];
    const ec2 = makeSandboxEc2Client(sandbox.ec2.endpoint, sandbox.region);
    const sg = await ec2.send(new CreateSecurityGroupCommand({ VpcId: sandbox.vpcId, GroupName: 'drift-test', Description: 'drift' }));
    ec2.destroy();
    const nodesInZone = (await listNodes(sandbox)).filter((n) => n.metadata?.labels?.[ENICONFIG_LABEL_KEY] === zone && podEniCapacity(n) === '9');
    expect(nodesInZone.length).toBeGreaterThan(0);
    const target = nodesInZone[0]?.metadata?.name ?? '';
    await jsonPatchCustomObject(custom, { ...eniConfigRef, name: zone }, [{ op: 'replace', path: '/spec/securityGroups', value: [sg.GroupId] }]);
    const drift = await waitFor(async () => (await nodeEvents(sandbox, target)).find((e) => e.reason === REASON_TRUNK_SECURITY_GROUP_DRIFT));
    expect(drift.message).toContain(`ENIConfig ${zone} now lists [${sg.GroupId ?? ''}]`);
    expect(drift.message).toContain('--fix-trunk-security-groups');

    // With the fix flag the groups are updated in place.
    await controller?.stop();
    controller = await startTestController(sandbox, { settings: { clusterName: sandbox.clusterName, region: sandbox.region, fixTrunkSecurityGroups: true } }, { customNetworking: true, eniConfigLabelKey: ENICONFIG_LABEL_KEY });
    const fixedTrunk = { ...expectedTrunk, fn: (id: string) => (sandbox.ec2.world.getInstance(id)?.availabilityZone === zone ? { subnetId: cfg?.subnetId ?? '', groups: [sg.GroupId ?? ''] } : expectedTrunk(id)) };
    await waitFor(async () => (await checkInvariants(sandbox, { skipPods: true, expectedTrunk: fixedTrunk.fn })).length === 0, { timeoutMs: 10_000, what: 'trunk groups fixed in place' });

    // A subnet change cannot be fixed: the event says to replace the node.
    const other = Object.values(sandbox.eniConfigs).find((c) => c.subnetId !== cfg?.subnetId);
    await jsonPatchCustomObject(custom, { ...eniConfigRef, name: zone }, [{ op: 'replace', path: '/spec/subnet', value: other?.subnetId }]);
    const subnetDrift = await waitFor(async () => (await nodeEvents(sandbox, target)).find((e) => e.reason === REASON_TRUNK_SUBNET_DRIFT));
    expect(subnetDrift.message).toContain('replace the node');
    const metrics = await controller.ctx.registry.getSingleMetricAsString('vpcrc_trunk_drift_nodes');
    expect(metrics).toMatch(/vpcrc_trunk_drift_nodes\{kind="subnet"\} [1-9]/);
  });
});
