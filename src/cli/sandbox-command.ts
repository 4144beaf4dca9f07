import type { Command } from 'commander';

// Placeholder: replaced by the module that implements `sandbox`.
export function registerSandboxCommand(_parent: Command): void {}
