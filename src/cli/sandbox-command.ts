// `vpcrc sandbox`: the local EC2 and Kubernetes with nodes, scheduler and (when wired in) the
// controller; prints how to reach them, then "sandbox ready", and runs until SIGINT/SIGTERM.
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { LevelWithSilent } from 'pino';
import { SGP_GROUP, SGP_KIND, SGP_PLURAL, SGP_VERSION } from '../apis/constants.js';
import { createLogger } from '../observability/logger.js';
import { makeSandboxEc2Client } from '../sim/sandbox/ec2-client.js';
import { loadSandboxConfigFile, parseNodesSpec, resolveSettings, type SandboxSettings } from '../sim/sandbox/config.js';
import { startSandbox, type ControllerStarter, type Sandbox } from '../sim/sandbox/sandbox.js';
import { sandboxControllerStarter } from '../controllers/controller.js';

export interface SandboxCommandDeps {
  /** The real controller; without it the sandbox runs as with --no-controller. */
  controllerStarter?: ControllerStarter;
}

const positiveNumber = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${v}"`);
  return n;
};
const nonNegativeInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number of milliseconds, got "${v}"`);
  return n;
};
const nodesArg = (v: string): string => {
  try {
    parseNodesSpec(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return v;
};

/** A sample policy and a pod it selects, so that `kubectl get sgp,pods` has something to show. */
async function createDemo(sandbox: Sandbox): Promise<void> {
  const admin = sandbox.kubeConfigFor('admin');
  const ec2 = makeSandboxEc2Client(sandbox.ec2.endpoint, sandbox.region);
  const groups = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [sandbox.vpcId] }] }));
  ec2.destroy();
  const groupId = groups.SecurityGroups?.[0]?.GroupId;
  if (!groupId) throw new Error('demo: the sandbox VPC has no security group');
  await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: SGP_GROUP,
    version: SGP_VERSION,
    plural: SGP_PLURAL,
    namespace: 'default',
    body: { apiVersion: `${SGP_GROUP}/${SGP_VERSION}`, kind: SGP_KIND, metadata: { name: 'demo', namespace: 'default' }, spec: { podSelector: { matchLabels: { app: 'demo' } }, securityGroups: { groupIds: [groupId] } } },
  });
  await admin.makeApiClient(CoreV1Api).createNamespacedPod({
    namespace: 'default',
    body: { metadata: { name: 'demo-app', namespace: 'default', labels: { app: 'demo' } }, spec: { containers: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:stable' }] } },
  });
}

export function registerSandboxCommand(program: Command, deps: SandboxCommandDeps = { controllerStarter: sandboxControllerStarter() }): void {
  program
    .command('sandbox')
    .description('run a local EC2 and Kubernetes with nodes, a scheduler, the CNI stand-in and the controller; use it with kubectl')
    .option('--nodes <spec>', 'instance types and counts, e.g. m5.large=3,c5.xlarge=2 (default m5.large=3)', nodesArg)
    .option('--custom-networking', 'one ENIConfig per zone with its own subnet and security group; the CNI asks for CustomNetworking')
    .addOption(new Option('--cni-mode <mode>', 'how the CNI asks for trunks: CNINode features or the legacy node label').choices(['cninode', 'label']))
    .addOption(new Option('--feature-order <order>', 'which CNINode feature the CNI adds first').choices(['sgp-first', 'cn-first']))
    .option('--feature-delay-ms <ms>', 'pause between the two CNINode features (reproduces the CNI upgrade race)', nonNegativeInt)
    .option('--no-controller', 'do not run the controller')
    .option('--kubeconfig <path>', 'where to write the kubeconfig (default .sandbox/kubeconfig)')
    .addOption(new Option('--throttle <profile>', 'EC2 API throttling').choices(['aws', 'off']))
    .option('--time-scale <x>', 'run EC2 delays and throttle refills this many times faster', positiveNumber)
    .option('--cluster-name <name>', 'cluster name used in tags (default sandbox)')
    .option('--config <file>', 'YAML file with the same settings (flags override it)')
    .option('--demo', 'also create a sample SecurityGroupPolicy and a pod it selects')
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'))
    .action(async (flags: Record<string, unknown>, cmd: Command) => {
      const given = (name: string): unknown => (cmd.getOptionValueSource(name) === 'cli' ? flags[name] : undefined);
      const file = typeof flags.config === 'string' ? loadSandboxConfigFile(flags.config) : {};
      const fromFlags: Partial<SandboxSettings> = {
        nodes: typeof given('nodes') === 'string' ? parseNodesSpec(given('nodes') as string) : undefined,
        customNetworking: given('customNetworking') as boolean | undefined,
        cniMode: given('cniMode') as SandboxSettings['cniMode'] | undefined,
        featureOrder: given('featureOrder') as SandboxSettings['featureOrder'] | undefined,
        featureDelayMs: given('featureDelayMs') as number | undefined,
        controller: given('controller') as boolean | undefined,
        kubeconfig: given('kubeconfig') as string | undefined,
        throttle: given('throttle') as SandboxSettings['throttle'] | undefined,
        timeScale: given('timeScale') as number | undefined,
        clusterName: given('clusterName') as string | undefined,
      };
      const settings = resolveSettings(file, fromFlags);
      const logger = createLogger({ level: (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? (flags.logLevel as LevelWithSilent), name: 'sandbox' });
      let controller: ControllerStarter | undefined;
      if (settings.controller && deps.controllerStarter) controller = deps.controllerStarter;
      else if (settings.controller) console.log('controller: not included in this build yet; running as with --no-controller');

      const sandbox = await startSandbox({
        nodes: settings.nodes,
        customNetworking: settings.customNetworking,
        cniMode: settings.cniMode,
        featureOrder: settings.featureOrder,
        featureDelayMs: settings.featureDelayMs,
        throttle: settings.throttle,
        timeScale: settings.timeScale,
        clusterName: settings.clusterName,
        ...(settings.kubeconfig ? { kubeconfigPath: settings.kubeconfig } : {}),
        ...(controller ? { controller } : {}),
        logger,
      });
      if (flags.demo) await createDemo(sandbox);
      console.log(`KUBECONFIG=${sandbox.kubeconfigPath}`);
      console.log(`AWS_ENDPOINT_URL_EC2=${sandbox.ec2.endpoint}`);
      console.log(`nodes: ${sandbox.nodeNames().length} (${settings.nodes.map((g) => `${g.instanceType}=${g.count}`).join(',')}), region ${sandbox.region}, VPC ${sandbox.vpcId}`);
      console.log('sandbox ready');

      await new Promise<void>((resolveSignal) => {
        const onSignal = (sig: NodeJS.Signals): void => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          logger.info({ signal: sig }, 'stopping sandbox');
          resolveSignal();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      await sandbox.stop();
      console.log('sandbox stopped');
      // Idle keep-alive sockets of the API clients must not hold the process open.
      process.exit(0);
    });
}
