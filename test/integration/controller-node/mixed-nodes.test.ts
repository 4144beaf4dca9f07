// 50 nodes of mixed types: every trunk-capable node gets exactly one trunk at the highest free
// device index, capacity = the type's branch limit, label true; t3.medium is refused with the
// Unsupported event and gets no capacity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_HAS_TRUNK_ATTACHED, REASON_CONTROLLER_VERSION_NOTICE, REASON_NODE_TRUNK_INITIATED, REASON_UNSUPPORTED } from '../../../src/apis/constants.js';
import type { RunningController } from '../../../src/controllers/controller.js';
import { instanceLimits } from '../../../src/domain/instance-limits.js';
import { checkInvariants } from '../helpers/invariants.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { instanceOfNode, listNodes, nodeEvents, podEniCapacity, startTestController, trunks } from './helpers.js';

const SPEC = 'm5.large=12,c5.xlarge=10,m5.metal=8,t3.medium=10,r7a.medium=10';
const BRANCH_LIMIT: Record<string, string> = { 'm5.large': '9', 'c5.xlarge': '18', 'm5.metal': '120', 'r7a.medium': String(instanceLimits('r7a.medium')?.branchLimit) };

describe('controller: 50 mixed nodes', () => {
  let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
  let controller: RunningController;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ nodes: SPEC, ec2: { attachDelayMs: 200 } });
    controller = await startTestController(sandbox);
  }, 60_000);
  afterAll(async () => {
    await controller?.stop();
    await sandbox?.stop();
  });

  it('gives every trunk-capable node one trunk at its highest free slot, capacity and label', async () => {
    const typeOf = (n: { metadata?: { labels?: Record<string, string> } }): string => n.metadata?.labels?.['node.kubernetes.io/instance-type'] ?? '';
    await waitFor(
      async () => {
        const nodes = await listNodes(sandbox);
        const capable = nodes.filter((n) => typeOf(n) !== 't3.medium');
        return nodes.length === 50 && capable.every((n) => podEniCapacity(n) === BRANCH_LIMIT[typeOf(n)] && n.metadata?.labels?.[LABEL_HAS_TRUNK_ATTACHED] === 'true');
      },
      { timeoutMs: 30_000, what: 'all 40 trunk-capable nodes advertised' },
    );
    const nodes = await listNodes(sandbox);
    const byInstance = new Map(trunks(sandbox).map((t) => [t.attachment?.instanceId ?? '', t]));
    expect(trunks(sandbox)).toHaveLength(40);
    for (const n of nodes) {
      const type = typeOf(n);
      const trunk = byInstance.get(instanceOfNode(n));
      if (type === 't3.medium') {
        expect(trunk).toBeUndefined();
        expect(podEniCapacity(n)).toBeUndefined();
        continue;
      }
      const limits = instanceLimits(type);
      expect(trunk?.attachment?.deviceIndex, `${type} trunk slot`).toBe((limits?.deviceSlots ?? 0) - 1);
      expect(trunk?.attachment?.status).toBe('attached');
      expect(trunk?.attachment?.deleteOnTermination).toBe(true);
      expect(trunk?.tags['eks:eni:owner']).toBe('eks-vpc-resource-controller');
      expect(trunk?.tags[`kubernetes.io/cluster/${sandbox.clusterName}`]).toBe('owned');
      expect(trunk?.tags['node.k8s.amazonaws.com/instance_id']).toBe(instanceOfNode(n));
    }
    expect(await checkInvariants(sandbox, { skipPods: true })).toEqual([]);
  });

  it('tells t3.medium nodes why they get no trunk, and the others that they have one', async () => {
    const nodes = await listNodes(sandbox);
    const t3 = nodes.find((n) => n.metadata?.labels?.['node.kubernetes.io/instance-type'] === 't3.medium');
    const m5 = nodes.find((n) => n.metadata?.labels?.['node.kubernetes.io/instance-type'] === 'm5.large');
    const t3Events = await waitFor(async () => {
      const ev = await nodeEvents(sandbox, t3?.metadata?.name ?? '');
      return ev.some((e) => e.reason === REASON_UNSUPPORTED) ? ev : undefined;
    });
    const unsupported = t3Events.find((e) => e.reason === REASON_UNSUPPORTED);
    expect(unsupported?.type).toBe('Warning');
    expect(unsupported?.message).toBe('The instance type t3.medium is not supported for trunk interface (Security Group for Pods)');
    expect(unsupported?.source?.component).toBe('vpc-resource-controller');
    const m5Events = await waitFor(async () => {
      const ev = await nodeEvents(sandbox, m5?.metadata?.name ?? '');
      return ev.some((e) => e.reason === REASON_NODE_TRUNK_INITIATED) && ev.some((e) => e.reason === REASON_CONTROLLER_VERSION_NOTICE) ? ev : undefined;
    });
    expect(m5Events.find((e) => e.reason === REASON_NODE_TRUNK_INITIATED)?.message).toBe('The node has trunk interface initialized successfully');
  });

  it('publishes each ready trunk for the pod side', () => {
    const published = controller.ctx.trunks.list();
    expect(published).toHaveLength(40);
    for (const t of published) {
      expect(t.subnetCidr).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
      expect(t.trunkEniId).toMatch(/^eni-/);
      expect(t.defaultSecurityGroups.length).toBeGreaterThan(0);
    }
  });
});
