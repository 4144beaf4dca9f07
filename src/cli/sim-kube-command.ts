import type { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createLogger } from '../observability/logger.js';
import { logFormatOf, logFormatOption } from './log-options.js';
import { buildKubeconfigYaml, startLocalKube } from '../sim/kube/index.js';

function portOption(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError(`expected a port number 0-65535, got "${value}"`);
  return n;
}

export interface SimKubeDeps {
  /** Where SIGINT/SIGTERM come from (tests pass an EventEmitter). */
  signals?: Pick<EventEmitter, 'once'>;
}

/**
 * `vpcrc sim kube`: the local Kubernetes API server on its own. Prints the endpoint and the
 * kubeconfig path (HTTPS, contexts admin/aws-node/controller/kubelet/scheduler), then serves until
 * SIGINT/SIGTERM.
 */
export function registerSimKubeCommand(parent: Command, deps: SimKubeDeps = {}): void {
  const signals = deps.signals ?? process;
  parent
    .command('kube')
    .description('run the local Kubernetes API server (HTTP and HTTPS) and write a kubeconfig for it, until SIGINT/SIGTERM')
    .option('--port <n>', 'HTTP port (0 = any free port)', portOption, 0)
    .option('--https-port <n>', 'HTTPS port (0 = any free port)', portOption, 0)
    .option('--kubeconfig <path>', 'where to write the kubeconfig (default: a file in the temp directory)')
    .addOption(logFormatOption())
    .action(async (opts: { port: number; httpsPort: number; kubeconfig?: string; logFormat?: string }) => {
      const logger = createLogger({ name: 'vpcrc-sim-kube', format: logFormatOf(opts) });
      const kube = await startLocalKube({ port: opts.port, httpsPort: opts.httpsPort, logger });
      const path = opts.kubeconfig ?? join(tmpdir(), `vpcrc-kubeconfig-${process.pid}.yaml`);
      try {
        writeFileSync(path, buildKubeconfigYaml(kube), { mode: 0o600 });
      } catch (err) {
        await kube.close();
        throw new Error(`cannot write the kubeconfig to ${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
      console.log(`Kubernetes API: ${kube.url}`);
      console.log(`Kubernetes API (TLS): ${kube.httpsUrl}`);
      console.log(`KUBECONFIG=${path}`);
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        void kube.close().then(() => process.exit(0));
      };
      signals.once('SIGINT', stop);
      signals.once('SIGTERM', stop);
    });
}
