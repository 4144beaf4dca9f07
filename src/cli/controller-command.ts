import type { Command } from 'commander';

// Placeholder: replaced by the module that implements `controller`.
export function registerControllerCommand(_parent: Command): void {}
