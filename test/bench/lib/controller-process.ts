// The controller as its own process for the benches (`vpcrc controller`, the built CLI) and what
// is read from it: readiness, /metrics, memory and CPU from /proc. Shared by controller-nodes and
// scale so that both measure the controller alone, as it runs in a cluster.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file runs from dist/test/bench/lib). */
export const repoRoot = join(here, '..', '..', '..', '..');

/**
 * The runtime settings the Deployment gives the controller (deploy/base/deployment.yaml): its
 * NODE_OPTIONS (V8 heap limits) and MALLOC_ARENA_MAX. Benches run the controller with them, so that
 * what they measure is what is deployed.
 */
export function deployedRuntime(): { nodeOptions: string[]; env: Record<string, string> } {
  const doc = parseYaml(readFileSync(join(repoRoot, 'deploy', 'base', 'deployment.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } } };
  };
  const env = doc.spec.template.spec.containers.find((c) => c.name === 'controller')?.env ?? [];
  const value = (name: string): string | undefined => env.find((e) => e.name === name)?.value;
  return {
    nodeOptions: (value('NODE_OPTIONS') ?? '').split(/\s+/).filter((o) => o !== ''),
    env: Object.fromEntries(['MALLOC_ARENA_MAX'].flatMap((n) => (value(n) !== undefined ? [[n, value(n) as string]] : []))),
  };
}

export function flag(argv: string[], name: string, def: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : def;
}

export function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return n;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ControllerSandboxEnv {
  kubeconfigPath: string;
  clusterName: string;
  region: string;
  ec2Endpoint: string;
}

export interface ControllerProcess {
  child: ChildProcess;
  pid: number;
  metricsPort: number;
  /** HTTPS port of the admission webhooks, when served. */
  webhookPort: number | undefined;
  exited: Promise<number | null>;
  metrics(): Promise<string>;
  /** SIGTERM, then wait (up to 10 s) for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (no shutdown at all, as a crash or an OOM kill), and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts `vpcrc controller` against the sandbox and resolves once it serves /readyz. */
export async function startControllerProcess(
  env: ControllerSandboxEnv,
  opts: { timeScale: number; webhooks?: boolean; extraArgs?: string[]; readyTimeoutMs?: number; nodeOptions?: string[] },
): Promise<ControllerProcess> {
  const metricsPort = await freePort();
  const webhookPort = opts.webhooks ? await freePort() : undefined;
  const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const deployed = deployedRuntime();
  const args = [
    // As deployed, then the caller's (a later V8 flag wins).
    ...deployed.nodeOptions,
    ...(opts.nodeOptions ?? []),
    cli,
    'controller',
    '--kubeconfig', env.kubeconfigPath,
    '--context', 'controller',
    '--cluster-name', env.clusterName,
    '--region', env.region,
    '--ec2-endpoint', env.ec2Endpoint,
    '--metrics-address', `127.0.0.1:${metricsPort}`,
    '--ec2-time-scale', String(opts.timeScale),
    ...(webhookPort ? ['--webhook-port', String(webhookPort), '--webhook-host', '127.0.0.1'] : ['--no-webhooks']),
    '--log-level', 'warn',
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...deployed.env, AWS_ACCESS_KEY_ID: 'AKIASANDBOX', AWS_SECRET_ACCESS_KEY: 'sandbox' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const proc: ControllerProcess = {
    child,
    pid: child.pid ?? 0,
    metricsPort,
    webhookPort,
    exited,
    async metrics() {
      return (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    },
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
  const readyBy = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the controller exited with code ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok) return proc;
    } catch {
      // not listening yet
    }
    if (Date.now() > readyBy) {
      await proc.kill();
      throw new Error(`the controller did not become ready within ${opts.readyTimeoutMs ?? 60_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sum of `vpcrc_ec2_calls_total` per action from Prometheus text. */
export function ec2Calls(metrics: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    const m = /^vpcrc_ec2_calls_total\{([^}]*)\} (\d+(?:\.\d+)?)/.exec(line);
    if (!m) continue;
    const action = /action="([^"]+)"/.exec(m[1] ?? '')?.[1] ?? '?';
    out[action] = (out[action] ?? 0) + Number(m[2]);
  }
  return out;
}

/** The value of an unlabelled (or first matching) sample of a metric, from Prometheus text. */
export function metricValue(metrics: string, name: string, labels?: string): number | undefined {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.e+-]+|NaN)/.exec(line);
    if (!m || m[1] !== name) continue;
    if (labels && !(m[2] ?? '').includes(labels)) continue;
    return Number(m[3]);
  }
  return undefined;
}

/** Sum of a histogram's `_sum` per action label (seconds). */
export function sumsByAction(metrics: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    const m = new RegExp(`^${name}_sum\\{([^}]*)\\} ([0-9.e+-]+)`).exec(line);
    if (!m) continue;
    const action = /action="([^"]+)"/.exec(m[1] ?? '')?.[1] ?? '?';
    out[action] = Math.round(Number(m[2]) * 100) / 100;
  }
  return out;
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // After the command: state(0) ... utime(11) stime(12), in clock ticks (100 per second on Linux).
    return Math.round(((Number(fields[11]) + Number(fields[12])) / 100) * 10) / 10;
  } catch {
    return undefined;
  }
}

function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
    return kb ? Number(kb) : undefined;
  } catch {
    return undefined;
  }
}

const mib = (kib: number | undefined): number | undefined => (kib === undefined ? undefined : Math.round((kib / 1024) * 10) / 10);

/** Peak resident set (VmHWM) of a process, MiB. */
export function peakRssMiB(pid: number): number | undefined {
  return mib(statusKiB(pid, 'VmHWM'));
}

/** Current resident set (VmRSS) of a process, MiB. */
export function rssMiB(pid: number): number | undefined {
  return mib(statusKiB(pid, 'VmRSS'));
}
