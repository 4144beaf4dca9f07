// `vpcrc controller`: the controller process. Flags → StartControllerOptions (a pure mapping,
// `controllerOptionsFromFlags`, so bad input is reported before anything starts), then run until
// SIGTERM/SIGINT and shut down cleanly (queues drained, webhooks unregistered when self-registered,
// leader lease released).
import { Option, type Command } from 'commander';
import type { LevelWithSilent } from 'pino';
import { DEFAULT_CONTROLLER_IDENTITIES, MAX_SECURITY_GROUPS_PER_INTERFACE } from '../apis/constants.js';
import { resolveEc2Endpoint } from '../aws/ec2-client.js';
import { pacingFromFlags, type PacingFlags } from '../aws/pacing-config.js';
import { loadLimits, startController, type StartControllerOptions } from '../controllers/controller.js';
import { EXIT_USAGE } from './exit-codes.js';
import { loadKubeConfig } from '../kube/client.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { logFormatOf, logFormatOption } from './log-options.js';
import type { FailurePolicy } from '../webhooks/registration.js';
import { MAX_MIN_WARM } from '../domain/warm-minimum.js';

/** The `--ec2-*` pacing flags are PacingFlags, handed to pacingFromFlags as they are. */
export interface ControllerFlags extends PacingFlags {
  kubeconfig?: string;
  context?: string;
  clusterName?: string;
  vpcId?: string;
  region?: string;
  ec2Endpoint?: string;
  logLevel?: string;
  logFormat?: string;
  metricsAddress?: string;
  customNetworking?: boolean;
  eniconfigLabelKey?: string;
  fixTrunkSecurityGroups?: boolean;
  instanceLimitsFile?: string;
  leaderElect?: boolean;
  leaderElectIdentity?: string;
  leaderElectLeaseDuration?: string;
  leaderElectRenewDeadline?: string;
  leaderElectRetryPeriod?: string;
  securityGroupsPerInterface?: string;
  controllerIdentity?: string[];
  eniPermissionAccountId?: string;
  branchEniCooldown?: string;
  branchEniWarmTime?: string;
  branchEniReuseWait?: string;
  branchEniMinWarm?: string;
  branchEniMinWarmWindow?: string;
  livePolicyUpdates?: boolean;
  webhooks?: boolean;
  webhookPort?: string;
  webhookHost?: string;
  webhookCertFile?: string;
  webhookKeyFile?: string;
  webhookCaFile?: string;
  webhookSelfRegister?: boolean;
  webhookAdvertiseHost?: string;
  webhookFailurePolicy?: string;
  podWorkers?: string;
  releaseWorkers?: string;
  gcIntervalSeconds?: string;
  repairIntervalSeconds?: string;
  watchStaleTimeout?: string;
  informerRelistInterval?: string;
}

/** `host:port`, `:port` or `port`; port 0 = ephemeral. */
export function parseAddress(flag: string, raw: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d{1,5})$/.exec(raw.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`${flag}: "${raw}" is not an address (expected host:port, :port or port, e.g. 0.0.0.0:8080)`);
  const host = (m[1] ?? '').replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port };
}

const AWS_ACCOUNT_ID = /^\d{12}$/;
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]*$/;
const VPC_ID = /^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** Seconds (decimals allowed) as milliseconds, within bounds. */
function secondsIn(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new Error(`${flag}: "${raw}" must be a number of seconds from ${min} to ${max}`);
  return Math.round(n * 1000);
}

/** The lease timings (client-go's defaults 15 s / 10 s / 2 s unless given), checked against each other. */
function leaderElectFromFlags(flags: ControllerFlags): StartControllerOptions['leaderElect'] {
  const given = flags.leaderElectLeaseDuration ?? flags.leaderElectRenewDeadline ?? flags.leaderElectRetryPeriod;
  if (!flags.leaderElect) {
    if (given !== undefined || flags.leaderElectIdentity !== undefined) throw new Error('--leader-elect-* settings only apply with --leader-elect');
    return false;
  }
  const leaseDurationMs = secondsIn('--leader-elect-lease-duration', flags.leaderElectLeaseDuration ?? '15', 0.5, 3600);
  const renewDeadlineMs = secondsIn('--leader-elect-renew-deadline', flags.leaderElectRenewDeadline ?? '10', 0.2, 3600);
  const retryPeriodMs = secondsIn('--leader-elect-retry-period', flags.leaderElectRetryPeriod ?? '2', 0.05, 3600);
  if (renewDeadlineMs >= leaseDurationMs) throw new Error('--leader-elect-renew-deadline must be shorter than --leader-elect-lease-duration (the leader gives up before a standby may take over)');
  if (retryPeriodMs >= renewDeadlineMs) throw new Error('--leader-elect-retry-period must be shorter than --leader-elect-renew-deadline (the leader tries to renew several times before giving up)');
  return { ...(flags.leaderElectIdentity ? { identity: flags.leaderElectIdentity } : {}), leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}

function intIn(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag}: "${raw}" must be a whole number from ${min} to ${max}`);
  return n;
}

/**
 * Everything `startController` needs except the kubeconfig, from flags and the environment.
 * Throws an error naming the flag for any bad value.
 */
export function controllerOptionsFromFlags(flags: ControllerFlags, env: NodeJS.ProcessEnv = process.env): Omit<StartControllerOptions, 'kubeConfig' | 'logger'> {
  const clusterName = flags.clusterName ?? env.CLUSTER_NAME;
  if (!clusterName) throw new Error('--cluster-name is required (the EKS cluster name; it goes into ENI tags)');
  if (!CLUSTER_NAME.test(clusterName) || clusterName.length > 100) throw new Error(`--cluster-name: "${clusterName}" is not a cluster name (letters, digits, - and _, up to 100)`);
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('--region is required (or set AWS_REGION)');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new Error(`--region: "${region}" is not an AWS region (e.g. us-west-2)`);
  if (flags.vpcId !== undefined && !VPC_ID.test(flags.vpcId)) throw new Error(`--vpc-id: "${flags.vpcId}" is not a VPC ID (vpc- and 8 or 17 hex digits)`);
  if (flags.eniPermissionAccountId !== undefined && !AWS_ACCOUNT_ID.test(flags.eniPermissionAccountId)) {
    throw new Error(`--eni-permission-account-id: "${flags.eniPermissionAccountId}" is not a 12-digit AWS account ID`);
  }
  if (flags.eniconfigLabelKey !== undefined && !flags.customNetworking) {
    throw new Error('--eniconfig-label-key only applies with --custom-networking');
  }
  const endpoint = resolveEc2Endpoint({ ...(flags.ec2Endpoint ? { endpoint: flags.ec2Endpoint } : {}), env });
  const pacing = pacingFromFlags(flags);
  const health = parseAddress('--metrics-address', flags.metricsAddress ?? '0.0.0.0:8080');
  let failurePolicy: FailurePolicy | undefined;
  if (flags.webhookFailurePolicy !== undefined) {
    if (flags.webhookFailurePolicy !== 'Fail' && flags.webhookFailurePolicy !== 'Ignore') {
      throw new Error(`--webhook-failure-policy: "${flags.webhookFailurePolicy}" must be Fail or Ignore`);
    }
    failurePolicy = flags.webhookFailurePolicy;
  }
  if (Boolean(flags.webhookCertFile) !== Boolean(flags.webhookKeyFile)) {
    throw new Error(`--webhook-cert-file and --webhook-key-file go together: ${flags.webhookCertFile ? '--webhook-key-file' : '--webhook-cert-file'} is missing`);
  }
  const webhooks: StartControllerOptions['webhooks'] =
    flags.webhooks === false
      ? false
      : {
          port: flags.webhookPort !== undefined ? intIn('--webhook-port', flags.webhookPort, 0, 65535) : 9443,
          host: flags.webhookHost ?? '0.0.0.0',
          selfRegister: flags.webhookSelfRegister ?? false,
          ...(flags.webhookCertFile ? { certFile: flags.webhookCertFile } : {}),
          ...(flags.webhookKeyFile ? { keyFile: flags.webhookKeyFile } : {}),
          ...(flags.webhookCaFile ? { caFile: flags.webhookCaFile } : {}),
          ...(flags.webhookAdvertiseHost ? { advertiseHost: flags.webhookAdvertiseHost } : {}),
          ...(failurePolicy ? { failurePolicy } : {}),
        };
  return {
    settings: {
      clusterName,
      region,
      ...(flags.vpcId ? { vpcId: flags.vpcId } : {}),
      customNetworking: flags.customNetworking ?? false,
      ...(flags.eniconfigLabelKey ? { eniConfigLabelKey: flags.eniconfigLabelKey } : {}),
      fixTrunkSecurityGroups: flags.fixTrunkSecurityGroups ?? false,
      ...(flags.securityGroupsPerInterface !== undefined
        ? { securityGroupsPerInterface: intIn('--security-groups-per-interface', flags.securityGroupsPerInterface, 1, MAX_SECURITY_GROUPS_PER_INTERFACE) }
        : {}),
      controllerIdentities: flags.controllerIdentity?.length ? [...flags.controllerIdentity] : [...DEFAULT_CONTROLLER_IDENTITIES],
      ...(flags.eniPermissionAccountId ? { eniPermissionAccountId: flags.eniPermissionAccountId } : {}),
      ...(flags.branchEniCooldown !== undefined ? { defaultCooldownSeconds: intIn('--branch-eni-cooldown', flags.branchEniCooldown, 30, 86_400) } : {}),
      ...(flags.branchEniWarmTime !== undefined ? { branchEniWarmSeconds: intIn('--branch-eni-warm-time', flags.branchEniWarmTime, 0, 86_400) } : {}),
      ...(flags.branchEniReuseWait !== undefined ? { branchEniReuseWaitSeconds: intIn('--branch-eni-reuse-wait', flags.branchEniReuseWait, 0, 3_600) } : {}),
      ...(flags.branchEniMinWarm !== undefined ? { branchEniMinWarm: intIn('--branch-eni-min-warm', flags.branchEniMinWarm, 0, MAX_MIN_WARM) } : {}),
      ...(flags.branchEniMinWarmWindow !== undefined ? { branchEniMinWarmWindowSeconds: intIn('--branch-eni-min-warm-window', flags.branchEniMinWarmWindow, 1, 86_400) } : {}),
      ...(flags.livePolicyUpdates === false ? { livePolicyUpdates: false } : {}),
    },
    ec2: { region, ...(endpoint ? { endpoint } : {}), pacing },
    health,
    leaderElect: leaderElectFromFlags(flags),
    ...(flags.instanceLimitsFile ? { instanceLimitsFile: flags.instanceLimitsFile } : {}),
    webhooks,
    podSide: {
      ...(flags.podWorkers !== undefined ? { podWorkers: intIn('--pod-workers', flags.podWorkers, 1, 1000) } : {}),
      ...(flags.releaseWorkers !== undefined ? { releaseWorkers: intIn('--release-workers', flags.releaseWorkers, 1, 1000) } : {}),
      ...(flags.gcIntervalSeconds !== undefined ? { gcIntervalMs: intIn('--gc-interval-seconds', flags.gcIntervalSeconds, 0, 86_400) * 1000 } : {}),
      ...(flags.repairIntervalSeconds !== undefined ? { repairIntervalMs: intIn('--repair-interval-seconds', flags.repairIntervalSeconds, 0, 86_400) * 1000 } : {}),
    },
    informers: {
      ...(flags.watchStaleTimeout !== undefined ? { watchStaleMs: intIn('--watch-stale-timeout', flags.watchStaleTimeout, 0, 86_400) * 1000 } : {}),
      ...(flags.informerRelistInterval !== undefined ? { relistIntervalMs: intIn('--informer-relist-interval', flags.informerRelistInterval, 0, 86_400) * 1000 } : {}),
    },
  };
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** Waits for SIGTERM or SIGINT once. */
function untilSignal(log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      log.info({ signal: sig }, 'shutting down');
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function registerControllerCommand(parent: Command): void {
  parent
    .command('controller')
    .description('run the VPC resource controller: trunk ENIs per node, branch ENIs per pod, admission webhooks')
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster, else $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('--cluster-name <name>', 'cluster name, used in ENI tags (or $CLUSTER_NAME)')
    .option('--vpc-id <id>', "the cluster's VPC (default: discovered from the instances)")
    .option('--region <region>', 'AWS region (or $AWS_REGION)')
    .option('--ec2-endpoint <url>', 'EC2 endpoint URL (or $AWS_ENDPOINT_URL_EC2), e.g. a local EC2')
    .addOption(logFormatOption())
    .addOption(new Option('--log-level <level>', 'log level (logs on stderr)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'))
    .option('--metrics-address <addr>', 'serve /metrics, /healthz and /readyz here (host:port)', '0.0.0.0:8080')
    .option('--custom-networking', 'custom networking is on for the cluster: no trunk until a node\'s ENIConfig is known and exists')
    .option('--eniconfig-label-key <key>', 'with --custom-networking: node label naming its ENIConfig (e.g. topology.kubernetes.io/zone)')
    .option('--fix-trunk-security-groups', "update a trunk's security groups in place when its ENIConfig's groups change")
    .option('--instance-limits-file <path>', 'JSON/YAML overrides of the instance limits table (e.g. a new instance type)')
    .option('--leader-elect', 'run only while holding the kube-system/cp-vpc-resource-controller lease')
    .option('--leader-elect-identity <id>', 'identity in the lease (default hostname-pid)')
    .option('--leader-elect-lease-duration <seconds>', 'a standby takes over after the lease went unrenewed this long (default 15)')
    .option('--leader-elect-renew-deadline <seconds>', 'the leader gives up (and exits) when it could not renew for this long (default 10)')
    .option('--leader-elect-retry-period <seconds>', 'how often candidates try and the leader renews (default 2)')
    .option('--security-groups-per-interface <n>', 'EC2 quota of security groups per ENI in this account (default 5, max 16)')
    .option('--controller-identity <user>', 'identity allowed to write the pod-eni annotation (repeatable; default the reference\'s three)', collect)
    .option('--eni-permission-account-id <id>', 'cross-account only: grant this account INSTANCE-ATTACH on branch ENIs')
    .option('--branch-eni-cooldown <seconds>', 'cooldown when the amazon-vpc-cni ConfigMap does not set one (default 60, min 30)')
    .option('--branch-eni-warm-time <seconds>', 'keep a branch ENI warm for reuse this long after its cooldown when the ConfigMap key branch-eni-warm-seconds is not set (default 180; 0 = reuse off)')
    .option('--branch-eni-reuse-wait <seconds>', 'with reuse on: a new pod may wait this long for a cooling ENI of its groups on its node instead of creating one (default 0)')
    .option('--branch-eni-min-warm <n>', 'with reuse on: keep this many warm (or cooling) branch ENIs per node for each group set a pod used there recently, created in the background pool, when the ConfigMap key branch-eni-min-warm is not set (default 0 = off)')
    .option('--branch-eni-min-warm-window <seconds>', 'a group set counts as recently used on a node this long after a pod used it there (default 600)')
    .option('--no-live-policy-updates', "do not update a running pod's branch ENI groups in place when its policies change")
    .option('--pod-workers <n>', 'pod reconciles at once (default 32; EC2 pacing is the real limit)')
    .option('--release-workers <n>', 'branch ENI releases at once (default 8)')
    .option('--gc-interval-seconds <s>', 'period of the pass that deletes owned branch ENIs whose pod is gone (default 300; 0 = off)')
    .option('--repair-interval-seconds <s>', 'period of the pass that checks every annotated pod\'s branch ENI against EC2 and repairs it; it also runs at start (default 120; 0 = only at start)')
    .option('--watch-stale-timeout <seconds>', 'restart a watch that delivered nothing, not even a bookmark (about one a minute), for this long (default 150; 0 = off)')
    .option('--informer-relist-interval <seconds>', 'relist every watched resource this often and repair what a watch missed (default 300; 0 = off)')
    .option('--ec2-account-share <fraction>', "share (0,1] of each EC2 API bucket this controller may use")
    .option('--ec2-rate <Action=perSecond>', 'EC2 calls per second for one action (repeatable)', collect)
    .option('--ec2-burst <Action=tokens>', 'burst for one action (repeatable)', collect)
    .option('--ec2-pool <pool=size>', 'concurrent EC2 calls per pool: pod-start, trunk, release, background (repeatable)', collect)
    .option('--ec2-time-scale <x>', 'sandbox only: the local EC2 runs this many times faster')
    .option('--no-webhooks', 'do not serve the admission webhooks')
    .option('--webhook-port <port>', 'webhook HTTPS port (default 9443)')
    .option('--webhook-host <host>', 'webhook bind address (default 0.0.0.0)')
    .option('--webhook-cert-file <path>', 'serving certificate (default: self-signed)')
    .option('--webhook-key-file <path>', 'serving key')
    .option('--webhook-ca-file <path>', 'CA bundle for self-registration')
    .option('--webhook-self-register', 'create the webhook configurations pointing at this process (development)')
    .option('--webhook-advertise-host <host>', 'host the API server dials when self-registering')
    .option('--webhook-failure-policy <policy>', 'Fail or Ignore when self-registering (default Ignore)')
    .action(async (flags: ControllerFlags) => {
      let opts: ReturnType<typeof controllerOptionsFromFlags>;
      let kubeConfig;
      try {
        opts = controllerOptionsFromFlags(flags);
        kubeConfig = loadKubeConfig({ ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), ...(flags.context ? { context: flags.context } : {}) });
        // A bad limits file is bad input like a bad flag value: checked here, before anything starts.
        loadLimits(flags.instanceLimitsFile);
      } catch (err) {
        console.error(`vpcrc controller: ${(err as Error).message}`);
        process.exit(EXIT_USAGE);
      }
      const level = (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? (flags.logLevel as LevelWithSilent);
      const logger = createLogger({ level, name: 'vpc-resource-controller', format: logFormatOf(flags) });
      const controller = await startController({ ...opts, kubeConfig, logger, onLostLeadership: () => process.exit(1) });
      logger.info({ health: controller.healthUrl, cluster: opts.settings.clusterName }, 'controller running');
      await untilSignal(logger);
      await controller.stop();
      // Idle keep-alive sockets of the API clients must not hold the process open.
      process.exit(0);
    });
}
