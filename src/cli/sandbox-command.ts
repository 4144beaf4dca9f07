// `vpcrc sandbox`: the local EC2 and Kubernetes with nodes, scheduler and (when wired in) the
// controller; prints how to reach them, then "sandbox ready", and runs until SIGINT/SIGTERM.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { LevelWithSilent } from 'pino';
import { createLogger } from '../observability/logger.js';
import { logFormatOf, logFormatOption } from './log-options.js';
import { loadSandboxConfigFile, parseNodesSpec, parseSecurityGroupList, resolveSettings, type SandboxSettings } from '../sim/sandbox/config.js';
import { runDemo } from '../sim/sandbox/demo.js';
import { startSandbox, type ControllerStarter } from '../sim/sandbox/sandbox.js';
import { sandboxControllerStarter } from './sandbox-controller.js';
import { parseAddress } from './controller-command.js';
import { UsageError } from './exit-codes.js';

export interface SandboxCommandDeps {
  /** The real controller; without it the sandbox runs as with --no-controller. */
  controllerStarter?: ControllerStarter;
  /** The controller for --demo: allows the short demo cooldown (default: the real controller with minCooldownSeconds DEMO_COOLDOWN_SECONDS). */
  demoControllerStarter?: ControllerStarter;
  /** The real controller serving /metrics, /healthz, /readyz at an address (--metrics-address). */
  controllerStarterWithHealth?: (health: { host: string; port: number }) => ControllerStarter;
}

/** The demo shows a release within seconds; only the demo's controller accepts a cooldown below 30 s. */
const DEMO_COOLDOWN_SECONDS = 5;

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
/** A settings parser as a commander argument parser: its error becomes commander's usage error. */
const asArg =
  <T>(parse: (v: string) => T) =>
  (v: string): T => {
    try {
      return parse(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };

export function registerSandboxCommand(
  program: Command,
  deps: SandboxCommandDeps = {
    controllerStarter: sandboxControllerStarter(),
    demoControllerStarter: sandboxControllerStarter({ settings: { minCooldownSeconds: DEMO_COOLDOWN_SECONDS } }),
    controllerStarterWithHealth: (health) => sandboxControllerStarter({ health }),
  },
): void {
  program
    .command('sandbox')
    .description('run a local EC2 and Kubernetes with nodes, a scheduler, the CNI stand-in and the controller; use it with kubectl')
    .option('--nodes <spec>', 'instance types and counts, e.g. m5.large=3,c5.xlarge=2 (default m5.large=3)', asArg(parseNodesSpec))
    .option('--custom-networking', 'one ENIConfig per zone with its own subnet and security group; the CNI asks for CustomNetworking')
    .addOption(new Option('--cni-mode <mode>', 'how the CNI asks for trunks: CNINode features or the legacy node label').choices(['cninode', 'label']))
    .addOption(new Option('--feature-order <order>', 'which CNINode feature the CNI adds first').choices(['sgp-first', 'cn-first']))
    .option('--feature-delay-ms <ms>', 'pause between the two CNINode features (reproduces the CNI upgrade race)', nonNegativeInt)
    .option('--no-controller', 'do not run the controller')
    .option('--kubeconfig <path>', 'where to write the kubeconfig (default .sandbox/kubeconfig)')
    .addOption(new Option('--throttle <profile>', 'EC2 API throttling').choices(['aws', 'off']))
    .option('--time-scale <x>', 'run EC2 delays and throttle refills this many times faster', positiveNumber)
    .option('--cluster-name <name>', 'cluster name used in tags (default sandbox)')
    .option('--security-groups <ids>', 'security groups of your account to create in the local EC2 under the same IDs (default: the ones docs/examples use)', asArg(parseSecurityGroupList))
    .option('--metrics-address <addr>', "serve the sandbox controller's /metrics, /healthz and /readyz here (host:port, port 0 = any free port)", asArg((v) => parseAddress('--metrics-address', v)))
    .option('--config <file>', 'YAML file with the same settings (flags override it)')
    .option('--demo', 'play the security-groups-for-pods story (policy, webhook, branch ENI, release) and print it; exits when done')
    .option('--keep-running', 'with --demo: keep the sandbox running afterwards')
    .addOption(logFormatOption())
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'))
    .action(async (flags: Record<string, unknown>, cmd: Command) => {
      // The SDK's notice that its releases after January 2027 need Node 22 is for whoever upgrades
      // the controller's dependencies; in the local sandbox (pinned SDK, design.md) it is noise.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const given = (name: string): unknown => (cmd.getOptionValueSource(name) === 'cli' ? flags[name] : undefined);
      let file: ReturnType<typeof loadSandboxConfigFile> | Record<string, never> = {};
      try {
        if (typeof flags.config === 'string') file = loadSandboxConfigFile(flags.config);
      } catch (err) {
        throw new UsageError(`vpcrc sandbox: ${(err as Error).message}`);
      }
      const fromFlags: Partial<SandboxSettings> = {
        nodes: given('nodes') as SandboxSettings['nodes'] | undefined,
        customNetworking: given('customNetworking') as boolean | undefined,
        cniMode: given('cniMode') as SandboxSettings['cniMode'] | undefined,
        featureOrder: given('featureOrder') as SandboxSettings['featureOrder'] | undefined,
        featureDelayMs: given('featureDelayMs') as number | undefined,
        controller: given('controller') as boolean | undefined,
        kubeconfig: given('kubeconfig') as string | undefined,
        throttle: given('throttle') as SandboxSettings['throttle'] | undefined,
        timeScale: given('timeScale') as number | undefined,
        clusterName: given('clusterName') as string | undefined,
        securityGroups: given('securityGroups') as string[] | undefined,
      };
      const settings = resolveSettings(file, fromFlags);
      const logger = createLogger({ level: (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? (flags.logLevel as LevelWithSilent), name: 'sandbox', format: logFormatOf(flags) });
      let controller: ControllerStarter | undefined;
      let healthUrl: string | undefined;
      if (settings.controller && flags.demo && deps.demoControllerStarter) controller = deps.demoControllerStarter;
      else if (settings.controller && flags.metricsAddress && deps.controllerStarterWithHealth) {
        const starter = deps.controllerStarterWithHealth(flags.metricsAddress as { host: string; port: number });
        controller = async (env) => {
          const started = await starter(env);
          healthUrl = (started as { controller?: { healthUrl?: string } }).controller?.healthUrl;
          return started;
        };
      } else if (settings.controller && deps.controllerStarter) controller = deps.controllerStarter;
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
        importSecurityGroups: settings.securityGroups,
        ...(settings.kubeconfig ? { kubeconfigPath: settings.kubeconfig } : {}),
        ...(controller ? { controller } : {}),
        logger,
      });
      console.log(`KUBECONFIG=${sandbox.kubeconfigPath}`);
      console.log(`AWS_ENDPOINT_URL_EC2=${sandbox.ec2.endpoint}`);
      console.log(`nodes: ${sandbox.nodeNames().length} (${settings.nodes.map((g) => `${g.instanceType}=${g.count}`).join(',')}), region ${sandbox.region}, VPC ${sandbox.vpcId}`);
      if (healthUrl) console.log(`controller metrics: ${healthUrl}/metrics (also /healthz, /readyz)`);
      else if (flags.metricsAddress) console.log(`controller metrics: none (${flags.demo ? '--metrics-address applies without --demo' : 'no controller runs'})`);
      console.log(`security groups: ${[`${sandbox.defaultSecurityGroupId} (VPC default)`, ...settings.securityGroups].join(', ')}`);
      if (flags.demo) {
        try {
          await runDemo(sandbox, { print: (line) => console.log(line), ...(controller === deps.demoControllerStarter ? { cooldownSeconds: DEMO_COOLDOWN_SECONDS } : {}) });
        } catch (err) {
          console.error(err instanceof Error ? err.message : String(err));
          await sandbox.stop();
          process.exit(1);
        }
        if (!flags.keepRunning) {
          await sandbox.stop();
          process.exit(0);
        }
      }
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
