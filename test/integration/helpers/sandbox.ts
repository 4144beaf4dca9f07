// A sandbox per test file: started in beforeAll (ephemeral ports, temp kubeconfig), stopped in
// afterAll. Tests reach it through the handle's getters.
//
//   const env = withSandbox({ nodes: 'm5.large=2' });
//   it('...', async () => { const out = await env.kubectl(['get', 'nodes']); ... });
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { sandboxControllerStarter } from '../../../src/cli/sandbox-controller.js';
import { startSandbox, type ControllerStarter, type Sandbox, type SandboxOptions } from '../../../src/sim/sandbox/sandbox.js';
import { kubectl, kubectlOk, setDefaultKubeconfig, type KubectlOptions, type KubectlResult } from './kubectl.js';

export interface SandboxHandle {
  readonly sandbox: Sandbox;
  readonly kubeconfigPath: string;
  kubectl(args: readonly string[], opts?: Omit<KubectlOptions, 'kubeconfig'>): Promise<KubectlResult>;
  kubectlOk(args: readonly string[], opts?: Omit<KubectlOptions, 'kubeconfig'>): Promise<string>;
}

/** Starts a sandbox for a test, with a temporary kubeconfig; call `stop()` when done. */
export async function startTestSandbox(opts: SandboxOptions = {}): Promise<Sandbox & { cleanupDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcrc-sandbox-'));
  const sandbox = await startSandbox({ throttle: 'off', heartbeatMs: 2_000, retryUnschedulableMs: 5_000, ...opts, kubeconfigPath: opts.kubeconfigPath ?? join(dir, 'kubeconfig') });
  const stop = sandbox.stop.bind(sandbox);
  return Object.assign(sandbox, {
    cleanupDir: dir,
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** Registers beforeAll/afterAll hooks that start and stop a sandbox for the enclosing suite. */
export function withSandbox(opts: SandboxOptions = {}): SandboxHandle {
  let current: Sandbox | undefined;
  beforeAll(async () => {
    current = await startTestSandbox(opts);
    setDefaultKubeconfig(current.kubeconfigPath);
  });
  afterAll(async () => {
    await current?.stop();
    current = undefined;
    setDefaultKubeconfig(undefined);
  });
  const get = (): Sandbox => {
    if (!current) throw new Error('sandbox not started: use the handle inside tests, after beforeAll');
    return current;
  };
  return {
    get sandbox() {
      return get();
    },
    get kubeconfigPath() {
      return get().kubeconfigPath;
    },
    kubectl: (args, o = {}) => kubectl(args, { ...o, kubeconfig: get().kubeconfigPath }),
    kubectlOk: (args, o = {}) => kubectlOk(args, { ...o, kubeconfig: get().kubeconfigPath }),
  };
}

/**
 * The real controller with its node side only (no webhooks, no pod side, fast attach polling), for
 * sandbox tests: the CNI stand-in, like the real aws-node, never creates a CNINode, so a sandbox
 * whose nodes should get CNINode features and trunks needs the controller that creates them.
 */
export function nodeSideController(): ControllerStarter {
  return sandboxControllerStarter({ webhooks: false, podSide: false, nodeSide: { attachPollMs: 50, backoff: { baseMs: 100, maxMs: 2_000 } } });
}
