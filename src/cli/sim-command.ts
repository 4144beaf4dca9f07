import type { Command } from 'commander';
import { registerSimEc2Command } from './sim-ec2-command.js';
import { registerSimKubeCommand } from './sim-kube-command.js';

/** `vpcrc sim ec2|kube`: the local services on their own. */
export function registerSimCommands(program: Command): void {
  const sim = program.command('sim').description('run one local service (EC2 or Kubernetes) on its own');
  registerSimEc2Command(sim);
  registerSimKubeCommand(sim);
}
