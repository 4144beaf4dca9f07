import type { Command } from 'commander';

// Placeholder: replaced by the module that implements `sim-ec2`.
export function registerSimEc2Command(_parent: Command): void {}
