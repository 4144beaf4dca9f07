import { readFileSync } from 'node:fs';

// The controller reports its version in the ControllerVersionNotice event; read it from the
// package manifest so there is one source of truth. Works from src/ (vitest) and dist/src/ (node).
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vpc-resource-controller' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0-unknown';
}

export const CONTROLLER_VERSION = readVersion();
