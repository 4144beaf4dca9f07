// The composition root: builds the ControllerContext (logger, metrics registry, Kubernetes
// clients, EC2 gateway, event recorder, informers, instance limits, trunk registry), serves
// /metrics /healthz /readyz, starts what every replica runs (informers synced → webhooks), then,
// once it holds the leader lease when electing, the reconcilers (node side → pod side); it stops
// them in reverse. A standby is ready and answers admission; only the reconcilers wait for the lease.
//
//   const c = await startController({ settings, kubeConfig, ec2: { region, endpoint } });
//   ...
//   await c.stop();
//
// Nothing here decides anything about nodes or pods; it only wires. The CLI (controller-command.ts)
// and the sandbox (through src/cli/sandbox-controller.ts) are its two callers; nothing here knows
// the simulators.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_BRANCH_ENI_COOLDOWN_SECONDS, DEFAULT_CONTROLLER_IDENTITIES, DEFAULT_SECURITY_GROUPS_PER_INTERFACE } from '../apis/constants.js';
import { createEc2Client } from '../aws/ec2-client.js';
import { Ec2Gateway, type Ec2Sender } from '../aws/gateway.js';
import { defaultPacingConfig, type PacingConfig } from '../aws/pacing-config.js';
import { LimitsTable } from '../domain/instance-limits.js';
import { usesGroupLookup } from '../domain/policy-groups.js';
import { makeKubeClients } from '../kube/client.js';
import { EventRecorder } from '../kube/events.js';
import { LeaderElector } from '../kube/leader-election.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { startHealthServer, type HealthServer } from '../observability/health-server.js';
import { createMetricsRegistry, type Registry } from '../observability/metrics.js';
import type { ControllerContext, ControllerSettings } from './context.js';
import { allInformers, createInformers, type InformerLiveness } from './informers.js';
import { startNodeSide, type NodeSide, type NodeSideOptions } from './node/node-side.js';
import { startPodSide, type PodSide, type PodSideOptions } from './pod/pod-side.js';
import { SecurityGroupCatalog } from './policy/group-catalog.js';
import { startPolicyPart, type PolicyPartOptions } from './policy/policy-part.js';
import { Ec2Condition } from './ec2-condition.js';
import { runStartupChecks } from './startup-checks.js';
import { TrunkRegistry } from './trunk-registry.js';
import { startWebhooksPart, type WebhooksPartOptions } from './webhooks-part.js';
import { CONTROLLER_VERSION } from '../version.js';

export interface Ec2Options {
  region: string;
  /** Default AWS_ENDPOINT_URL_EC2, else the regional AWS endpoint. */
  endpoint?: string;
  /** Static credentials (the sandbox); default the SDK's provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  pacing?: PacingConfig;
  /** Tests and benches: a ready client instead of building one. */
  client?: Ec2Sender;
}

export interface LeaderElectOptions {
  /** Default `<hostname>-<pid>`. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface StartControllerOptions {
  /** Required: clusterName and region; everything else has the product's defaults. */
  settings: Partial<ControllerSettings> & Pick<ControllerSettings, 'clusterName' | 'region'>;
  kubeConfig: KubeConfig;
  ec2: Ec2Options;
  logger?: Logger;
  registry?: Registry;
  /** /metrics, /healthz, /readyz; `false` for none. Default port 0 on 127.0.0.1. */
  health?: { port: number; host?: string } | false;
  /** Campaign for the lease and start the parts only while leading. Default off. */
  leaderElect?: boolean | LeaderElectOptions;
  /** Called when leadership is lost after it was held (the CLI exits, as client-go users do). Default: stop the controller. */
  onLostLeadership?: () => void;
  /** JSON/YAML overrides for the instance limits table (text of --instance-limits-file). */
  instanceLimitsFile?: string;
  nodeSide?: NodeSideOptions;
  /** The pod side (branch ENIs) and its options; `false` to run without it. Default on. */
  podSide?: boolean | PodSideOptions;
  /** SecurityGroupPolicy status and groups by name or tag; `false` to run without the status writer. */
  policies?: PolicyPartOptions | false;
  /** The admission webhooks server; `false` (default) for none. */
  webhooks?: WebhooksPartOptions | false;
  /** How long to wait for the first informer sync. Default 60 s. */
  syncTimeoutMs?: number;
  /** Informers list this many objects a page (limit/continue). Default 500. */
  listPageSize?: number;
  /** Restart a watch silent this long (default 150 s) and relist this often (default 300 s); 0 = off. */
  informers?: InformerLiveness;
}

export interface RunningController {
  ctx: ControllerContext;
  /** The EC2 gateway behind ctx.ec2, for its per-action counters and pacing state (benchmarks, introspection). */
  gateway: Ec2Gateway;
  /** The health/metrics server's base URL, when one runs. */
  healthUrl?: string;
  /** Set once the node side runs (after the lease is held, with leader election). */
  nodeSide(): NodeSide | undefined;
  podSide(): PodSide | undefined;
  /** Webhook server URL and CA, once it runs. */
  webhooks(): { url: string; caPem: string } | undefined;
  /** True while this process leads (always true without leader election). */
  isLeader(): boolean;
  stop(): Promise<void>;
}

export function resolveSettings(s: StartControllerOptions['settings']): ControllerSettings {
  return {
    customNetworking: false,
    fixTrunkSecurityGroups: false,
    securityGroupsPerInterface: DEFAULT_SECURITY_GROUPS_PER_INTERFACE,
    controllerIdentities: [...DEFAULT_CONTROLLER_IDENTITIES],
    defaultCooldownSeconds: DEFAULT_BRANCH_ENI_COOLDOWN_SECONDS,
    ...Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)),
  } as ControllerSettings;
}

/** The shipped limits table, with the overrides of a file when given (all or nothing). */
export function loadLimits(file: string | undefined): LimitsTable {
  if (!file) return new LimitsTable();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`--instance-limits-file ${file}: cannot read it: ${(err as Error).message}`);
  }
  const parsed = LimitsTable.fromOverrideText(text, file);
  if (!parsed.ok) throw new Error(`--instance-limits-file ${file} is invalid:\n  ${parsed.errors.join('\n  ')}`);
  return parsed.value;
}

export async function startController(opts: StartControllerOptions): Promise<RunningController> {
  const logger = opts.logger ?? silentLogger();
  const log = logger.child({ component: 'controller' });
  const registry = opts.registry ?? createMetricsRegistry();
  const settings = resolveSettings(opts.settings);
  const limits = loadLimits(opts.instanceLimitsFile);
  const kube = makeKubeClients(opts.kubeConfig);
  const ec2Condition = new Ec2Condition();
  const client = ec2Condition.observing(
    opts.ec2.client ??
      createEc2Client({ region: opts.ec2.region, ...(opts.ec2.endpoint ? { endpoint: opts.ec2.endpoint } : {}), ...(opts.ec2.credentials ? { credentials: opts.ec2.credentials } : {}) }),
  );
  const pacing = opts.ec2.pacing ?? defaultPacingConfig();
  const ec2 = new Ec2Gateway({ client, config: pacing, registry, logger });
  // One line with the version and every effective setting, so a log alone says what ran.
  log.info(
    {
      version: CONTROLLER_VERSION,
      settings,
      ec2: { region: opts.ec2.region, endpoint: opts.ec2.endpoint ?? `default for ${opts.ec2.region}`, credentials: opts.ec2.credentials ? 'static' : 'default provider chain', accountShare: pacing.accountShare, timeScale: pacing.timeScale },
      leaderElect: opts.leaderElect ?? false,
      webhooks: opts.webhooks ? { port: opts.webhooks.port ?? 0, host: opts.webhooks.host ?? '127.0.0.1', selfRegister: opts.webhooks.selfRegister, tls: opts.webhooks.certFile ? 'files' : 'self-signed' } : false,
      podSide: opts.podSide !== false,
      instanceLimitsFile: opts.instanceLimitsFile ?? 'none',
    },
    'vpc-resource-controller starting',
  );
  // Who we are and whether EC2 answers: warnings that name the fix, never a crash (startup-checks.ts).
  const checks = runStartupChecks({ kubeConfig: opts.kubeConfig, ec2: client, allowedIdentities: settings.controllerIdentities, logger: log }).catch((err: unknown) => {
    log.warn({ err }, 'startup checks could not run');
  });
  const events = new EventRecorder({ core: kube.core, logger, registry, instance: hostname() });
  const informers = createInformers({
    kc: opts.kubeConfig,
    clients: kube,
    registry,
    logger,
    ...(opts.listPageSize ? { pageSize: opts.listPageSize } : {}),
    ...(opts.informers ? { liveness: opts.informers } : {}),
  });
  const trunks = new TrunkRegistry();
  const groupCatalog = new SecurityGroupCatalog({
    ec2,
    ...(settings.vpcId ? { vpcId: settings.vpcId } : {}),
    trunkSubnet: () => trunks.list()[0]?.subnetId,
    needed: () => informers.policies.list().some((p) => usesGroupLookup(p.spec?.securityGroups)),
    logger,
    registry,
    ...(opts.policies && opts.policies.groupRefreshMs !== undefined ? { refreshMs: opts.policies.groupRefreshMs } : {}),
  });
  const ctx: ControllerContext = { settings, logger, registry, kubeConfig: opts.kubeConfig, kube, ec2, events, informers, limits, trunks, groupCatalog };

  // Everything started so far, stopped in reverse order.
  const stops: { name: string; stop: () => Promise<unknown> }[] = [];
  let health: HealthServer | undefined;
  let nodeSide: NodeSide | undefined;
  let podSide: PodSide | undefined;
  let webhooks: { url: string; caPem: string; ready: () => boolean } | undefined;
  let parts: Promise<void> | undefined;
  let stopping = false;
  let elector: LeaderElector | undefined;

  const stopAll = async (): Promise<void> => {
    for (const s of stops.splice(0).reverse()) {
      try {
        await s.stop();
      } catch (err) {
        log.warn({ err: (err as Error).message, part: s.name }, 'stopping a part failed');
      }
    }
  };

  /**
   * What every replica runs, leader or not: the informers and the webhooks. Admission must be
   * answered by every replica behind the webhook Service (a standby that served nothing would keep
   * a two-replica Deployment from ever being available), and it needs only the caches.
   */
  const startShared = async (): Promise<void> => {
    const all = allInformers(informers);
    stops.push({ name: 'informers', stop: () => Promise.all(all.map((i) => i.stop())) });
    await Promise.all(all.map((i) => i.start()));
    await Promise.all(all.map((i) => i.waitForSync(opts.syncTimeoutMs ?? 60_000)));
    log.info('informers synced');
    if (opts.webhooks && !stopping) {
      const wh = await startWebhooksPart(ctx, opts.webhooks);
      webhooks = { url: wh.url, caPem: wh.caPem, ready: () => wh.ready?.() ?? true };
      stops.push({ name: 'webhooks', stop: () => wh.stop() });
    }
  };

  /** The reconcilers, which change EC2 and the cluster: only in the leader. Node side → pod side. */
  const reconcilerStops: { name: string; stop: () => Promise<unknown> }[] = [];
  const startReconcilers = async (): Promise<void> => {
    if (stopping) return;
    // Policies before the node side: the VPC's groups are read as soon as the first trunk shows the VPC.
    const policyPart = startPolicyPart(ctx, opts.policies === false ? { status: false } : (opts.policies ?? {}));
    reconcilerStops.push({ name: 'policies', stop: () => policyPart.stop() });
    nodeSide = await startNodeSide(ctx, opts.nodeSide);
    reconcilerStops.push({ name: 'node side', stop: () => nodeSide?.stop() ?? Promise.resolve() });
    if (opts.podSide !== false && !stopping) {
      podSide = await startPodSide(ctx, opts.podSide === true || opts.podSide === undefined ? {} : opts.podSide);
      reconcilerStops.push({ name: 'pod side', stop: () => podSide?.stop() ?? Promise.resolve() });
    }
    log.info('reconcilers started');
  };
  const stopReconcilers = async (): Promise<void> => {
    for (const s of reconcilerStops.splice(0).reverse()) {
      try {
        await s.stop();
      } catch (err) {
        log.warn({ err: (err as Error).message, part: s.name }, 'stopping a part failed');
      }
    }
    nodeSide = undefined;
    podSide = undefined;
  };

  try {
    if (opts.health !== false) {
      health = await startHealthServer({ registry, logger, port: opts.health?.port ?? 0, host: opts.health?.host ?? '127.0.0.1' });
      // Ready = able to answer admission correctly: caches synced and, with webhooks, the server
      // up with its certificate. Leadership is not part of it: a standby is as ready as the leader.
      health.addReadinessCheck('informers', () => allInformers(informers).every((i) => i.hasSynced()));
      if (opts.webhooks) health.addReadinessCheck('webhooks', () => webhooks?.ready() ?? false);
      health.addCondition('ec2', () => ec2Condition.problem());
    }
    await startShared();
    // Stopped in reverse: the reconcilers before the webhooks and informers they read.
    stops.push({ name: 'reconcilers', stop: stopReconcilers });
    if (opts.leaderElect) {
      const le = typeof opts.leaderElect === 'object' ? opts.leaderElect : {};
      elector = new LeaderElector({
        coordination: kube.coordination,
        identity: le.identity ?? `${hostname()}-${process.pid}`,
        ...(le.leaseDurationMs ? { leaseDurationMs: le.leaseDurationMs } : {}),
        ...(le.renewDeadlineMs ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
        ...(le.retryPeriodMs ? { retryPeriodMs: le.retryPeriodMs } : {}),
        logger,
        registry,
        onStartedLeading: () => {
          log.info('leader lease acquired; starting the reconcilers');
          parts = startReconcilers().catch((err: unknown) => {
            log.error({ err }, 'reconcilers failed to start');
            opts.onLostLeadership?.();
          });
        },
        onStoppedLeading: () => {
          log.warn('leader lease lost');
          if (opts.onLostLeadership) opts.onLostLeadership();
          else parts = (parts ?? Promise.resolve()).then(stopReconcilers);
        },
      });
      elector.start();
    } else {
      parts = startReconcilers();
      await parts;
    }
    log.info({ leaderElect: Boolean(opts.leaderElect) }, 'controller started');
  } catch (err) {
    await stopAll();
    await health?.close();
    await ec2.close();
    throw err;
  }

  return {
    ctx,
    gateway: ec2,
    ...(health ? { healthUrl: health.address().url } : {}),
    nodeSide: () => nodeSide,
    podSide: () => podSide,
    webhooks: () => (webhooks ? { url: webhooks.url, caPem: webhooks.caPem } : undefined),
    isLeader: () => (elector ? elector.isLeader() : true),
    async stop() {
      if (stopping) return;
      stopping = true;
      await parts?.catch(() => undefined);
      await checks;
      await stopAll();
      await elector?.stop();
      await events.flush();
      await ec2.close();
      await health?.close();
      log.info('controller stopped');
    },
  };
}
