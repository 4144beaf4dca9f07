// The controller as a process: /healthz, /readyz and /metrics; two replicas with leader election
// (only the leader creates trunks, the standby takes over when it goes); and the built CLI
// against the sandbox, stopped by SIGTERM.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEADER_ELECTION_LEASE, LEADER_ELECTION_NAMESPACE } from '../../../src/apis/constants.js';
import type { RunningController } from '../../../src/controllers/controller.js';
import { spawnController } from '../helpers/controller-process.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { listNodes, podEniCapacity, startTestController, trunks } from './helpers.js';

const FAST_LEASE = { leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 200 };

describe('controller process', () => {
  let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
  const running: RunningController[] = [];
  beforeAll(async () => {
    sandbox = await startTestSandbox({ nodes: 'm5.large=2' });
  }, 60_000);
  afterAll(async () => {
    for (const c of running) await c.stop();
    await sandbox?.stop();
  });

  it('serves /healthz, /readyz and /metrics with the node-side metrics', async () => {
    const c = await startTestController(sandbox, { health: { port: 0, host: '127.0.0.1' } });
    running.push(c);
    expect(c.healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${c.healthUrl}/healthz`)).status).toBe(200);
    await waitFor(async () => (await fetch(`${c.healthUrl}/readyz`)).status === 200, { what: '/readyz 200' });
    await waitFor(async () => (await listNodes(sandbox)).every((n) => podEniCapacity(n) === '9'), { what: 'trunks' });
    const metrics = await (await fetch(`${c.healthUrl}/metrics`)).text();
    expect(metrics).toMatch(/vpcrc_nodes\{state="ready"\} 2/);
    expect(metrics).toMatch(/vpcrc_trunk_init_duration_seconds_count\{result="created"\} 2/);
    expect(metrics).toMatch(/vpcrc_ec2_calls_total\{action="CreateNetworkInterface",result="ok"\} 2/);
    await c.stop();
    running.pop();
  });

  it('with leader election only the leader works; the standby takes over when it stops', async () => {
    const a = await startTestController(sandbox, { leaderElect: { identity: 'a', ...FAST_LEASE } });
    running.push(a);
    await waitFor(() => a.isLeader() && a.nodeSide() !== undefined, { what: 'a to lead' });
    const b = await startTestController(sandbox, { leaderElect: { identity: 'b', ...FAST_LEASE } });
    running.push(b);
    await new Promise((r) => setTimeout(r, 600));
    expect(b.isLeader()).toBe(false);
    expect(b.nodeSide()).toBeUndefined();
    const lease = await sandbox.kubeConfigFor('admin').makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: LEADER_ELECTION_NAMESPACE, name: LEADER_ELECTION_LEASE });
    expect(lease.spec?.holderIdentity).toBe('a');

    const [added] = await sandbox.addNodes('m5.large=1');
    await waitFor(async () => podEniCapacity((await listNodes(sandbox)).find((n) => n.metadata?.name === added) ?? {}) === '9', { what: 'the leader to give the new node a trunk' });

    await a.stop(); // releases the lease
    running.splice(running.indexOf(a), 1);
    await waitFor(() => b.isLeader() && b.nodeSide() !== undefined, { timeoutMs: 5_000, what: 'b to take over' });
    const [later] = await sandbox.addNodes('m5.large=1');
    await waitFor(async () => podEniCapacity((await listNodes(sandbox)).find((n) => n.metadata?.name === later) ?? {}) === '9', { what: 'the new leader to give a node a trunk' });
    expect(trunks(sandbox)).toHaveLength(4);
  });

  it('the built CLI runs against the sandbox and exits 0 on SIGTERM', async () => {
    for (const c of running.splice(0)) await c.stop();
    const p = spawnController(sandbox, ['--no-webhooks', '--log-level', 'info']);
    // Starting node with the SDK loaded takes seconds on a busy machine: wait for it to run first.
    await p.healthUrl;
    const [added] = await sandbox.addNodes('m5.large=1');
    await waitFor(async () => podEniCapacity((await listNodes(sandbox)).find((n) => n.metadata?.name === added) ?? {}) === '9', { timeoutMs: 20_000, what: 'the CLI controller to give the node a trunk' });
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 90_000);
});
