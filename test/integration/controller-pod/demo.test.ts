// `npm start` tells the contract §1 story: the demo run in-process against a sandbox with the real
// controller, checking that each step it prints happened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxControllerStarter } from '../../../src/cli/sandbox-controller.js';
import { runDemo } from '../../../src/sim/sandbox/demo.js';
import { startTestSandbox } from '../helpers/sandbox.js';

describe('the npm start demo', () => {
  let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ nodes: 'm5.large=2', controller: sandboxControllerStarter({ settings: { minCooldownSeconds: 1 } }) });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('prints every step of the story, ending with the release', async () => {
    const lines: string[] = [];
    await runDemo(sandbox, { print: (l) => lines.push(l), cooldownSeconds: 1, stepTimeoutMs: 20_000 });
    const text = lines.join('\n');
    expect(text).toMatch(/m5\.large {2}trunk eni-[0-9a-f]+ {2}capacity vpc\.amazonaws\.com\/pod-eni: 9/);
    expect(text).toContain('Limits:   vpc.amazonaws.com/pod-eni: 1');
    expect(text).toContain('Requests: vpc.amazonaws.com/pod-eni: 1');
    expect(text).toMatch(/Annotations: vpc\.amazonaws\.com\/pod-eni: \[\{"eniId":"eni-[0-9a-f]+","ifAddress":"[0-9a-f:]+","privateIp":"[\d.]+","vlanId":1,"subnetCidr":"[\d./]+","associationID":"[\w-]+"\}\]/);
    expect(text).toMatch(/SecurityGroupRequested\s+vpc-resource-controller\s+Pod will get the following Security Groups \[sg-[0-9a-f]+\]/);
    expect(text).toMatch(/ResourceAllocated\s+vpc-resource-controller\s+Allocated \[/);
    expect(text).toContain('Branch ENI cool down period has been updated to 1s');
    expect(text).toMatch(/eni-[0-9a-f]+ (disassociated and deleted|kept warm) [\d.]+ s after the pod was deleted/);
    expect(text).toContain('Demo complete.');
  });
});
