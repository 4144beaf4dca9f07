import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../observability/logger.js';
import { buildKubeconfigYaml, startLocalKube } from '../sim/kube/index.js';

function portOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port "${value}": expected an integer 0-65535`);
  return n;
}

/** `vpcrc sim kube`: the local Kubernetes API server on its own, until SIGINT/SIGTERM. */
export function registerSimKubeCommand(parent: Command): void {
  parent
    .command('kube')
    .description('run the local Kubernetes API server (HTTP and HTTPS) and write a kubeconfig for it')
    .option('--port <n>', 'HTTP port (0 = any free port)', portOption, 0)
    .option('--https-port <n>', 'HTTPS port (0 = any free port)', portOption, 0)
    .option('--kubeconfig <path>', 'where to write the kubeconfig (default: a file in the temp directory)')
    .action(async (opts: { port: number; httpsPort: number; kubeconfig?: string }) => {
      const logger = createLogger({ name: 'vpcrc-sim-kube' });
      const kube = await startLocalKube({ port: opts.port, httpsPort: opts.httpsPort, logger });
      const path = opts.kubeconfig ?? join(tmpdir(), `vpcrc-kubeconfig-${process.pid}.yaml`);
      writeFileSync(path, buildKubeconfigYaml(kube), { mode: 0o600 });
      console.log(`Kubernetes API: ${kube.url}`);
      console.log(`Kubernetes API (TLS): ${kube.httpsUrl}`);
      console.log(`KUBECONFIG=${path}`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await kube.close();
    });
}
