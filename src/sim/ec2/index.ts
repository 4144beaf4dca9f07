// The local EC2: a real HTTP server speaking the EC2 Query API, for the sandbox, integration tests
// and benchmarks. Point `@aws-sdk/client-ec2` at `endpoint` (or AWS_ENDPOINT_URL_EC2).
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../../observability/logger.js';
import { Ec2Control, type FaultSpec, type LatencySpec, type SimSettings } from './control.js';
import { seedDefaultWorld, type DefaultWorld } from './default-world.js';
import { createEc2Server } from './server.js';
import { Throttle, type ThrottleProfile } from './throttle.js';
import type { InstanceTypeEntry } from './instance-types.js';
import { World } from './world.js';

export type { ThrottleProfile, BucketSpec } from './throttle.js';
export type { FaultSpec, LatencySpec, ActionCounters } from './control.js';
export type { EniView } from './world-types.js';
export type { DefaultWorld } from './default-world.js';
export type { InstanceTypeEntry } from './instance-types.js';
export { AWS_BUCKETS } from './throttle.js';
export { Ec2Control } from './control.js';
export { World } from './world.js';

export interface LocalEc2Options {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** `aws` (AWS's published buckets, the default), `off`, or a profile with per-action overrides. */
  throttle?: 'aws' | 'off' | ThrottleProfile;
  /** >1 runs every delay and bucket refill faster. Default 1. */
  timeScale?: number;
  /** Default us-west-2. */
  region?: string;
  /** Seed one VPC, three subnets and the default security group. Default true. */
  defaultWorld?: boolean;
  /** Prefix length of the three default subnets: 19 (default) or 18 for clusters of thousands of nodes. */
  defaultSubnetPrefix?: number;
  /** How long an attachment stays `attaching` (unscaled ms). Default 0. */
  attachDelayMs?: number;
  /** Security groups per interface quota. Default 5 (EC2's default, hard max 16). */
  securityGroupsPerInterface?: number;
  /** Latency per action (`*` = every action), unscaled ms. */
  latency?: Record<string, LatencySpec>;
  /** Faults to start with, per action (`*` = every action). */
  faults?: Record<string, FaultSpec>;
  /** New ENIs stay invisible to describes this long (unscaled ms). Default 0. */
  consistencyDelayMs?: number;
  /** Seed for resource IDs, for reproducible runs. */
  idSeed?: number;
  /** Instance types added to (or replacing) the shipped limits data, e.g. an operator's overrides. */
  instanceTypes?: ReadonlyMap<string, InstanceTypeEntry>;
  logger?: Logger;
}

export interface LocalEc2 {
  /** e.g. `http://127.0.0.1:38123` */
  endpoint: string;
  region: string;
  /** The world: read-only accessors for invariant checks (listEnis, listTrunkAssociations, vlansByTrunk, …). */
  world: World;
  /** The seeded default world, when `defaultWorld` was not false. */
  defaults: DefaultWorld | undefined;
  /** Faults, latency, throttle, counters, consistency delay, time scale. */
  control: Ec2Control;
  close(): Promise<void>;
}

export async function startLocalEc2(opts: LocalEc2Options = {}): Promise<LocalEc2> {
  const logger = (opts.logger ?? silentLogger()).child({ component: 'local-ec2' });
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new Error(`timeScale must be a positive number, got ${timeScale}`);
  const settings: SimSettings = {
    timeScale,
    attachDelayMs: opts.attachDelayMs ?? 0,
    consistencyDelayMs: opts.consistencyDelayMs ?? 0,
  };
  const now = (): number => performance.timeOrigin + performance.now();
  const throttleProfile: ThrottleProfile =
    typeof opts.throttle === 'object' ? opts.throttle : { base: opts.throttle ?? 'aws' };
  const throttle = new Throttle(throttleProfile, now, timeScale);
  const control = new Ec2Control(throttle, settings, {
    ...(opts.latency ? { latency: opts.latency } : {}),
    ...(opts.faults ? { faults: opts.faults } : {}),
  });
  control.setAttachDelay(settings.attachDelayMs);
  control.setConsistencyDelay(settings.consistencyDelayMs);
  const region = opts.region ?? 'us-west-2';
  const world = new World({
    region,
    securityGroupsPerInterface: 5,
    attachDelayMs: () => settings.attachDelayMs / settings.timeScale,
    consistencyDelayMs: () => settings.consistencyDelayMs / settings.timeScale,
    now,
    ...(opts.idSeed !== undefined ? { idSeed: opts.idSeed } : {}),
    ...(opts.instanceTypes ? { instanceTypes: opts.instanceTypes } : {}),
  });
  if (opts.securityGroupsPerInterface !== undefined) world.setSecurityGroupsPerInterface(opts.securityGroupsPerInterface);
  const defaults = opts.defaultWorld === false ? undefined : seedDefaultWorld(world, opts.defaultSubnetPrefix);

  const server = createEc2Server({ world, control, throttle, logger });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ endpoint, throttle: throttleProfile.base, timeScale }, 'local EC2 listening');
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    region,
    world,
    defaults,
    control,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
