#!/usr/bin/env node
// vpcrc: one binary for the controller and the local sandbox. Each subcommand lives in its own
// module and registers itself here, so the entry point stays a table of contents.
import { Command, CommanderError } from 'commander';
import { silenceSdkNodeVersionNotice } from '../aws/ec2-client.js';
import { CONTROLLER_VERSION } from '../version.js';
import { EXIT_FAILURE, EXIT_USAGE, UsageError } from './exit-codes.js';
import { registerSimCommands } from './sim-command.js';
import { registerSandboxCommand } from './sandbox-command.js';
import { registerControllerCommand } from './controller-command.js';
import { registerCleanupCommand } from './cleanup-command.js';

// Every command builds EC2 clients (the controller, and the sandbox's own and its CNI stand-in's):
// one place for all of them. Why: docs/controller.md, "Logs".
silenceSdkNodeVersionNotice();

const program = new Command();
program
  .name('vpcrc')
  .description('VPC resource controller: security groups for pods, plus a local EC2 and Kubernetes sandbox')
  .version(CONTROLLER_VERSION)
  // Exit codes, the same for every command (docs/controller.md): 0 done, 1 runtime failure,
  // 2 usage error (unknown option, bad value, bad settings file). Commander exits 1 on its own
  // usage errors; overriding makes it throw instead, and subcommands inherit this.
  .exitOverride();

registerControllerCommand(program);
registerSandboxCommand(program);
registerSimCommands(program);
registerCleanupCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Commander has printed its message; help and --version exit 0.
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  if (err instanceof UsageError) {
    console.error(err.message);
    process.exit(EXIT_USAGE);
  }
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(EXIT_FAILURE);
});
