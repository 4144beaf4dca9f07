// Reads the CRD manifests shipped in the repository's crds/ directory, for the local API
// server and for deploy tooling. The directory is found relative to this module so it works
// from src/apis (vitest) and from dist/src/apis (node) alike.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const MARKER = 'securitygrouppolicies.yaml';

/** The repository's crds/ directory: the nearest ancestor of this module that holds one. */
export function defaultCrdDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'crds');
    if (existsSync(join(candidate, MARKER))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`crds/ directory with ${MARKER} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/**
 * Every CustomResourceDefinition in `dir` (default: the repo's crds/), one object per YAML
 * document, files in name order. A file that does not parse, or a document that is not a
 * CustomResourceDefinition, is an error naming the file.
 */
export function loadCrdManifests(dir?: string): Record<string, unknown>[] {
  const root = resolve(dir ?? defaultCrdDir());
  const files = readdirSync(root)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  const manifests: Record<string, unknown>[] = [];
  for (const file of files) {
    const path = join(root, file);
    for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${path}: invalid YAML: ${doc.errors[0]?.message ?? 'unknown error'}`);
      const obj: unknown = doc.toJS();
      if (obj === null || obj === undefined) continue; // empty document, e.g. a trailing ---
      if (typeof obj !== 'object' || Array.isArray(obj) || (obj as { kind?: unknown }).kind !== 'CustomResourceDefinition') {
        throw new Error(`${path}: expected a CustomResourceDefinition document`);
      }
      manifests.push(obj as Record<string, unknown>);
    }
  }
  return manifests;
}
