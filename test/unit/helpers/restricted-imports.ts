// Runs eslint.config.js's no-restricted-imports rule, as the real config computes it for `file`,
// over a probe source: the tests of the import lines between rooms use it.
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const eslint = new ESLint({ cwd: process.cwd() });

/** The rule's messages for `source` placed at `file` ([] when the file's config has no such rule). */
export async function restrictedImports(file: string, source: string): Promise<string[]> {
  const config = (await eslint.calculateConfigForFile(file)) as { rules?: Record<string, Linter.RuleEntry> };
  const rule = config.rules?.['no-restricted-imports'];
  if (!rule) return [];
  const linter = new Linter({ configType: 'flat' });
  const messages = linter.verify(source, [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, rules: { 'no-restricted-imports': rule } }], file);
  return messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}
