// `vpcrc sandbox --metrics-address` serves the sandbox controller's /metrics, /healthz and /readyz,
// and prints where; a bad address is a usage error (exit 2).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/controller-process.js';
import { waitFor } from '../helpers/wait-for.js';

describe('vpcrc sandbox --metrics-address', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcrc-sandbox-metrics-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the controller metrics, health and readiness at the address it prints', async () => {
    const child = spawn(process.execPath, [CLI, 'sandbox', '--nodes', 'm5.large=1', '--kubeconfig', join(dir, 'kubeconfig'), '--metrics-address', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await waitFor(() => /controller metrics: (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(out)?.[1], { timeoutMs: 60_000, what: `the metrics line (output so far: ${out})` });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, { timeoutMs: 30_000, what: '/readyz 200' });
      await waitFor(async () => /vpcrc_nodes\{state="ready"\} 1/.test(await (await fetch(`${url}/metrics`)).text()), { timeoutMs: 30_000, what: 'the node ready in vpcrc_nodes' });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 120_000);

  it('rejects a bad address as a usage error (exit 2)', () => {
    const r = spawnSync(process.execPath, [CLI, 'sandbox', '--metrics-address', 'nowhere:99999'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--metrics-address');
  });
});
