// The simulators may not import controller code (eslint.config.js, the src/sim block): this runs
// the rule as the real config computes it for files under src/sim over probe imports, so a config
// change that drops or loosens it fails here.
import { describe, expect, it } from 'vitest';
import { restrictedImports } from '../helpers/restricted-imports.js';

describe('src/sim imports no controller code', () => {
  it.each([
    ['src/sim/ec2/probe.ts', "import { instanceLimits } from '../../domain/instance-limits.js';\nexport const x = instanceLimits;\n"],
    ['src/sim/ec2/probe.ts', "import type { Ec2Api } from '../../aws/ec2-api.js';\nexport type X = Ec2Api;\n"],
    ['src/sim/kube/node-agent/probe.ts', "export { mutatePod } from '../../../webhooks/pod-mutator.js';\n"],
    ['src/sim/sandbox/probe.ts', "import type { ControllerSettings } from '../../controllers/context.js';\nexport type X = ControllerSettings;\n"],
  ])('%s: %s is refused', async (file, source) => {
    expect((await restrictedImports(file, source)).join('\n')).toMatch(/src\/sim models the real services/);
  });

  it.each([
    "import { isRecord } from '../../kube/patch.js';\nexport const x = isRecord;\n",
    "import { ANNOTATION_POD_ENI } from '../../apis/constants.js';\nexport const x = ANNOTATION_POD_ENI;\n",
    "import type { Logger } from '../../observability/logger.js';\nexport type X = Logger;\n",
    "import { EC2Client } from '@aws-sdk/client-ec2';\nexport const x = EC2Client;\n",
    "import { Throttle } from './throttle.js';\nexport const x = Throttle;\n",
  ])('shared infrastructure and its own modules are allowed: %s', async (source) => {
    expect(await restrictedImports('src/sim/ec2/probe.ts', source)).toEqual([]);
  });
});
