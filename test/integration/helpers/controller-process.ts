// The built CLI's `vpcrc controller` as a child process against a sandbox, the way an operator
// runs it: its JSON log lines are collected, and the health and webhook URLs it binds (port 0)
// are read from them.
//
//   const p = spawnController(sandbox, ['--leader-elect', '--leader-elect-identity', 'a']);
//   const health = await p.healthUrl;     // from the "controller running" line
//   p.child.kill('SIGKILL');
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../../../src/sim/sandbox/sandbox.js';

export const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');

export interface ControllerProcess {
  child: ChildProcess;
  /** Every JSON log line so far (stderr), parsed; and anything that was not JSON. */
  logs: Record<string, unknown>[];
  rawStderr: () => string;
  healthUrl: Promise<string>;
  /** Resolves once the webhook server serves (undefined never, when started with --no-webhooks). */
  webhookUrl: Promise<string>;
  exited: Promise<number | null>;
  /** SIGTERM and wait (no-op when already gone). */
  stop(): Promise<void>;
}

/** The sandbox's controller identity, its EC2 endpoint and credentials; `args` add to or override them. */
export function sandboxControllerArgs(sandbox: Sandbox): string[] {
  return [
    '--kubeconfig', sandbox.kubeconfigPath,
    '--context', 'controller',
    '--cluster-name', sandbox.clusterName,
    '--region', sandbox.region,
    '--ec2-endpoint', sandbox.ec2.endpoint,
    '--metrics-address', '127.0.0.1:0',
    '--webhook-port', '0',
    '--webhook-host', '127.0.0.1',
  ];
}

export function spawnController(sandbox: Sandbox, args: readonly string[], env: NodeJS.ProcessEnv = {}): ControllerProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (this test runs the built CLI under plain node)`);
  const child = spawn(process.execPath, [CLI, 'controller', ...sandboxControllerArgs(sandbox), ...args], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIASANDBOX', AWS_SECRET_ACCESS_KEY: 'sandbox', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let raw = '';
  let partial = '';
  const waiters: { match: (l: Record<string, unknown>) => string | undefined; resolve: (v: string) => void }[] = [];
  child.stderr?.on('data', (d: Buffer) => {
    raw += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      logs.push(parsed);
      for (const w of waiters.slice()) {
        const v = w.match(parsed);
        if (v !== undefined) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(v);
        }
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const fromLog = (msg: string, field: string): Promise<string> =>
    new Promise((resolve, reject) => {
      waiters.push({ match: (l) => (l.msg === msg && typeof l[field] === 'string' ? l[field] : undefined), resolve });
      void exited.then((code) => reject(new Error(`controller exited (${code}) before logging "${msg}":\n${raw.slice(-4000)}`)));
    });
  const healthUrl = fromLog('controller running', 'health');
  const webhookUrl = fromLog('webhooks serving', 'url');
  // Unobserved rejections (e.g. no webhooks) must not fail the test run.
  healthUrl.catch(() => undefined);
  webhookUrl.catch(() => undefined);
  return {
    child,
    logs,
    rawStderr: () => raw,
    healthUrl,
    webhookUrl,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
