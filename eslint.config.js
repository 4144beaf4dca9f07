// Typed lint rules: the ones that catch real bugs in async controller code
// (floating promises, misused promises in callbacks) are errors.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const SIM_IMPORTS = {
  group: ['**/sim', '**/sim/**'],
  message: 'Only src/sim and src/cli import the simulators (src/sim); the product must not know them (docs/architecture.md).',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', 'vitest.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/cli/**', 'test/**', 'eslint.config.js'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  // The product/simulator line (docs/architecture.md): the product does not know the simulators.
  // Only the CLI (which wires the sandbox to the real controller) and the simulators themselves
  // import src/sim; tests may. The rule for what src/sim may import is a separate block.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/sim/**', 'src/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [SIM_IMPORTS] }] },
  },
  // API types and parsing (src/apis) are the bottom room: they import no domain logic. ESLint keeps
  // only the last block's options for a rule, so this one repeats the simulator line.
  {
    files: ['src/apis/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            SIM_IMPORTS,
            { group: ['**/domain', '**/domain/**'], message: 'src/apis imports nothing from src/domain: move what both need into src/apis (docs/architecture.md).' },
          ],
        },
      ],
    },
  },
  // The simulators model the real EC2, kube-apiserver and aws-node, never the controller: they
  // keep their own facts and code (docs/sandbox.md, "Own facts"), so a controller mistake shows
  // up as a disagreement with them. Shared infrastructure (src/kube, src/apis, src/observability)
  // stays allowed.
  {
    files: ['src/sim/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(aws|controllers|domain|webhooks)(/|$)',
              message: 'src/sim models the real services: keep its own copy of the facts (see test/unit/sim-facts/) instead of importing controller code.',
            },
          ],
        },
      ],
    },
  },
);
