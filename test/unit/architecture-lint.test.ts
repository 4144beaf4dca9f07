// The import rules between rooms (docs/architecture.md) are ESLint no-restricted-imports blocks in
// eslint.config.js. This takes the rule as the real config computes it for a file in each room and
// runs it over probe imports, so a config change that drops or loosens a line fails here.
import { describe, expect, it } from 'vitest';
import { restrictedImports } from './helpers/restricted-imports.js';

const SIM = "import type { ControllerEnv } from '../sim/sandbox/sandbox.js';\nexport type X = ControllerEnv;\n";
const DEEP_SIM = "export { startLocalKube } from '../../sim/kube/server.js';\n";

describe('the product/simulator line', () => {
  it.each(['src/controllers/probe.ts', 'src/controllers/node/probe.ts', 'src/aws/probe.ts', 'src/kube/probe.ts', 'src/domain/probe.ts', 'src/webhooks/probe.ts', 'src/observability/probe.ts', 'src/apis/probe.ts'])(
    '%s may not import src/sim',
    async (file) => {
      const src = file.split('/').length > 3 ? DEEP_SIM : SIM;
      expect((await restrictedImports(file, src)).join('\n')).toMatch(/Only src\/sim and src\/cli import the simulators/);
    },
  );

  it.each(['src/cli/probe.ts', 'test/integration/probe.ts', 'test/unit/probe.ts'])('%s may import src/sim', async (file) => {
    expect(await restrictedImports(file, SIM)).toEqual([]);
  });
});

describe('src/apis is the bottom room', () => {
  it('src/apis may not import src/domain', async () => {
    const messages = await restrictedImports('src/apis/probe.ts', "import type { PodFacts } from '../domain/sgp-matching.js';\nexport type X = PodFacts;\n");
    expect(messages.join('\n')).toMatch(/src\/apis imports nothing from src\/domain/);
  });

  it('src/controllers may import src/domain and src/apis', async () => {
    expect(await restrictedImports('src/controllers/probe.ts', "import type { PodFacts } from '../domain/sgp-matching.js';\nimport type { CNINode } from '../apis/cninode.js';\nexport type X = PodFacts | CNINode;\n")).toEqual([]);
  });
});
