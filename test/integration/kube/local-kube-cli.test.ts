// `vpcrc sim kube` in-process: the endpoint and KUBECONFIG lines, a kubeconfig kubectl can use,
// clean stop on a signal, and a usage error for a bad port.
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerSimKubeCommand } from '../../../src/cli/sim-kube-command.js';

const logLevel = process.env.LOG_LEVEL;
afterEach(() => {
  vi.restoreAllMocks();
  if (logLevel === undefined) delete process.env.LOG_LEVEL;
  else process.env.LOG_LEVEL = logLevel;
});

function program(signals: EventEmitter): Command {
  const root = new Command().name('vpcrc').exitOverride();
  const sim = root.command('sim').exitOverride();
  registerSimKubeCommand(sim, { signals });
  sim.commands.forEach((c) => c.exitOverride());
  return root;
}

describe('vpcrc sim kube', () => {
  it('prints the endpoint and kubeconfig, serves kubectl, and exits 0 on SIGTERM', async () => {
    process.env.LOG_LEVEL = 'silent';
    const exits: number[] = [];
    vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      exits.push(code ?? 0);
      return undefined as never;
    }) as typeof process.exit);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    const dir = mkdtempSync(join(tmpdir(), 'sim-kube-cli-'));
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    const signals = new EventEmitter();
    try {
      await program(signals).parseAsync(['node', 'vpcrc', 'sim', 'kube', '--kubeconfig', kubeconfig]);
      expect(lines[0]).toMatch(/^Kubernetes API: http:\/\/127\.0\.0\.1:\d+$/);
      expect(lines).toContain(`KUBECONFIG=${kubeconfig}`);
      const out = await new Promise<string>((resolve, reject) =>
        execFile('kubectl', ['--cache-dir', join(dir, 'cache'), 'get', 'namespaces', '-o', 'name'], { env: { ...process.env, KUBECONFIG: kubeconfig } }, (err, stdout, stderr) =>
          err ? reject(new Error(stderr)) : resolve(stdout),
        ),
      );
      expect(out.split('\n')).toEqual(expect.arrayContaining(['namespace/default', 'namespace/kube-system']));
      signals.emit('SIGTERM');
      const deadline = Date.now() + 3000;
      while (exits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(exits).toEqual([0]);
      const url = /http:\/\/\S+/.exec(lines[0] ?? '')?.[0];
      await expect(fetch(`${url}/version`)).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad port with a usage error', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await expect(program(new EventEmitter()).parseAsync(['node', 'vpcrc', 'sim', 'kube', '--port', 'http'])).rejects.toThrow(/expected a port number 0-65535, got "http"/);
  });
});
