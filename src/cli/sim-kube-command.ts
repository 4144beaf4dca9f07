import type { Command } from 'commander';

// Placeholder: replaced by the module that implements `sim-kube`.
export function registerSimKubeCommand(_parent: Command): void {}
