// Runs the real kubectl binary against a sandbox, with its own temporary cache directory (so
// parallel test files never share discovery caches) and no ambient KUBECONFIG.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KubectlOptions {
  /** Default: the sandbox started by withSandbox in this test file, else $KUBECONFIG. */
  kubeconfig?: string;
  /** admin (the default, current context), aws-node, controller, … */
  context?: string;
  /** Written to kubectl's stdin (for `apply -f -`). */
  input?: string;
  timeoutMs?: number;
}

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

let cacheDir: string | undefined;
let defaultKubeconfig: string | undefined;

/** Set by withSandbox so that `kubectl(args, { context })` needs no kubeconfig. */
export function setDefaultKubeconfig(path: string | undefined): void {
  defaultKubeconfig = path;
}

function kubeconfigFor(opts: KubectlOptions): string {
  const path = opts.kubeconfig ?? defaultKubeconfig ?? process.env.KUBECONFIG;
  if (!path) throw new Error('kubectl: no kubeconfig (start a sandbox with withSandbox, or pass { kubeconfig })');
  return path;
}
function kubectlCacheDir(): string {
  cacheDir ??= mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
  return cacheDir;
}

/** Runs kubectl; never rejects for a non-zero exit (look at `code`), only when kubectl cannot be started or times out. */
export function kubectl(args: readonly string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  const kubeconfig = kubeconfigFor(opts);
  const full = ['--kubeconfig', kubeconfig, '--cache-dir', kubectlCacheDir(), ...(opts.context ? ['--context', opts.context] : []), ...args];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'kubectl',
      full,
      { timeout: opts.timeoutMs ?? 20_000, env: { ...process.env, KUBECONFIG: kubeconfig, HOME: process.env.HOME ?? tmpdir() }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        if (e && (typeof e.code === 'string' || e.killed)) {
          reject(new Error(`kubectl ${args.join(' ')}: ${e.killed ? 'timed out' : e.message}\n${stderr}`));
          return;
        }
        resolve({ stdout, stderr, code: e ? Number(e.code ?? 1) : 0 });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** kubectl that must succeed: resolves with stdout, rejects with kubectl's stderr otherwise. */
export async function kubectlOk(args: readonly string[], opts: KubectlOptions = {}): Promise<string> {
  const r = await kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}
