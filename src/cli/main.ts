#!/usr/bin/env node
// vpcrc: one binary for the controller and the local sandbox. Each subcommand lives in its own
// module and registers itself here, so the entry point stays a table of contents.
import { Command } from 'commander';
import { silenceSdkNodeVersionNotice } from '../aws/ec2-client.js';
import { CONTROLLER_VERSION } from '../version.js';
import { registerSimCommands } from './sim-command.js';
import { registerSandboxCommand } from './sandbox-command.js';
import { registerControllerCommand } from './controller-command.js';

// Every command builds EC2 clients (the controller, and the sandbox's own and its CNI stand-in's):
// one place for all of them. Why: docs/controller.md, "Logs".
silenceSdkNodeVersionNotice();

const program = new Command();
program
  .name('vpcrc')
  .description('VPC resource controller: security groups for pods, plus a local EC2 and Kubernetes sandbox')
  .version(CONTROLLER_VERSION);

registerControllerCommand(program);
registerSandboxCommand(program);
registerSimCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
