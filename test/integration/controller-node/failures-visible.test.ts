// Node-side failures are visible where users look: with EC2 unreachable, every node gets a
// NodeTrunkFailedInit Warning naming the cause and the fix (aggregated, not repeated), every node
// counts as failed in vpcrc_nodes, and /readyz names the ec2 condition while staying ready (admission
// needs no EC2). Run as the wrong identity, the controller warns at start that its annotation
// writes will be denied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASON_NODE_TRUNK_FAILED_INIT } from '../../../src/apis/constants.js';
import type { RunningController } from '../../../src/controllers/controller.js';
import { spawnController } from '../helpers/controller-process.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { listNodes, nodeEvents, startTestController } from './helpers.js';

describe('controller: failures visible', () => {
  let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
  let controller: RunningController | undefined;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ nodes: 'm5.large=3' });
  }, 60_000);
  afterAll(async () => {
    await controller?.stop();
    await sandbox?.stop();
  });

  it('EC2 unreachable: a NodeTrunkFailedInit naming the cause on each node within 60 s, vpcrc_nodes{state="failed"} = nodes, /readyz names it', async () => {
    // Port 1 on loopback: connection refused, as with a wrong endpoint or a blocked network path.
    // The product's default backoff (500 ms doubling), not the test helper's fast one.
    controller = await startTestController(sandbox, { health: { port: 0, host: '127.0.0.1' }, nodeSide: { attachPollMs: 50 } }, { ec2Endpoint: 'http://127.0.0.1:1' });
    const started = Date.now();
    const names = (await listNodes(sandbox)).map((n) => n.metadata?.name ?? '');
    expect(names).toHaveLength(3);
    const failedInit = async (name: string) => (await nodeEvents(sandbox, name)).filter((e) => e.reason === REASON_NODE_TRUNK_FAILED_INIT);
    await waitFor(async () => (await Promise.all(names.map(failedInit))).every((es) => es.length > 0), { timeoutMs: 60_000, intervalMs: 250, what: 'a NodeTrunkFailedInit on every node' });
    expect(Date.now() - started).toBeLessThan(60_000);
    for (const name of names) {
      const [e] = await failedInit(name);
      expect(e?.type).toBe('Warning');
      expect(e?.message).toContain('EC2 endpoint unreachable');
      expect(e?.message).toContain('ECONNREFUSED');
      expect(e?.message).toContain('--ec2-endpoint');
    }
    const metrics = async (): Promise<string> => (await fetch(`${controller?.healthUrl}/metrics`)).text();
    await waitFor(async () => /vpcrc_nodes\{state="failed"\} 3\b/.test(await metrics()), { timeoutMs: 10_000, what: 'vpcrc_nodes{state="failed"} 3' });

    // Retries go on and the Event is aggregated (count grows), not repeated as new Events.
    await waitFor(async () => (await Promise.all(names.map(failedInit))).every((es) => es.length === 1 && (es[0]?.count ?? 1) > 1), { timeoutMs: 30_000, intervalMs: 500, what: 'aggregated repeats' });

    const readyz = await fetch(`${controller.healthUrl}/readyz`);
    const body = await readyz.text();
    expect(readyz.status).toBe(200);
    expect(body).toMatch(/\[-\]ec2 failing \(reported, not required for readiness\): ec2-unreachable: EC2 endpoint unreachable/);
    await controller.stop();
    controller = undefined;
  }, 120_000);

  it('run as the admin identity, it warns at start that its pod-eni writes will be denied; EC2 reachable passes', async () => {
    const p = spawnController(sandbox, ['--context', 'admin', '--no-webhooks']);
    try {
      await p.healthUrl;
      await waitFor(() => p.logs.filter((l) => l.msg?.toString().startsWith('startup check')).length === 2, { timeoutMs: 20_000, what: 'both startup checks' });
      const identity = p.logs.find((l) => l.check === 'identity');
      expect(identity?.level).toBe(40);
      expect(String(identity?.msg)).toContain('authenticates to Kubernetes as "kubernetes-admin"');
      expect(String(identity?.msg)).toContain('--context controller');
      expect(p.logs.find((l) => l.check === 'ec2')?.msg).toBe('startup check passed');
      const start = p.logs.find((l) => l.msg === 'vpc-resource-controller starting');
      expect(start?.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(start?.settings).toMatchObject({ clusterName: sandbox.clusterName, region: sandbox.region });
    } finally {
      await p.stop();
    }
  }, 90_000);
});
