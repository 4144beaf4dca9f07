import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { controllerOptionsFromFlags, registerControllerCommand, type ControllerFlags } from '../../src/cli/controller-command.js';

// The manifests users apply must stay in step with the binary: a renamed flag or a wrong
// ServiceAccount would only show up in a real cluster otherwise.
const docs = parseAllDocuments(readFileSync(new URL('../../deploy/controller.yaml', import.meta.url), 'utf8')).map(
  (d) => d.toJSON() as { kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> },
);

function deploymentContainer(): { args: string[] } {
  const dep = docs.find((d) => d.kind === 'Deployment');
  const spec = dep?.spec as { template: { spec: { containers: { args: string[] }[]; serviceAccountName: string } } };
  return spec.template.spec.containers[0]!;
}

async function parseControllerArgs(args: string[]): Promise<ControllerFlags> {
  const program = new Command().exitOverride();
  registerControllerCommand(program);
  const controller = program.commands.find((c) => c.name() === 'controller')!;
  let captured: ControllerFlags | undefined;
  controller.exitOverride().action((flags: ControllerFlags) => {
    captured = flags;
  });
  await program.parseAsync(['node', 'vpcrc', ...args]);
  return captured!;
}

describe('deploy/controller.yaml', () => {
  it('runs `vpcrc controller` with flags the binary accepts and validates', async () => {
    const { args } = deploymentContainer();
    expect(args[0]).toBe('controller');
    const flags = await parseControllerArgs(args);
    const opts = controllerOptionsFromFlags(flags, {});
    expect(opts.settings.clusterName).toBe('my-cluster');
    expect(opts.settings.region).toBe('us-west-2');
  });

  it('rejects a flag the binary does not know (so the test above can fail)', async () => {
    await expect(parseControllerArgs(['controller', '--no-such-flag'])).rejects.toThrow(/unknown option/);
  });

  it('runs as the identity the webhooks allow to write the pod-eni annotation', () => {
    const dep = docs.find((d) => d.kind === 'Deployment')!;
    const sa = (dep.spec as { template: { spec: { serviceAccountName: string } } }).template.spec.serviceAccountName;
    expect(`system:serviceaccount:${dep.metadata.namespace}:${sa}`).toBe('system:serviceaccount:kube-system:vpc-resource-controller');
    expect(docs.some((d) => d.kind === 'ServiceAccount' && d.metadata.name === sa)).toBe(true);
  });

  it('exposes the webhook Service that deploy/webhooks.yaml points at', () => {
    const hooks = readFileSync(new URL('../../deploy/webhooks.yaml', import.meta.url), 'utf8');
    const svc = docs.find((d) => d.kind === 'Service')!;
    expect(hooks).toContain(`name: ${svc.metadata.name}`);
    expect(hooks).toContain(`namespace: ${svc.metadata.namespace}`);
  });
});
