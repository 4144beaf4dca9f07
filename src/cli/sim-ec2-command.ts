import type { EventEmitter } from 'node:events';
import { InvalidArgumentError, type Command } from 'commander';
import { createLogger } from '../observability/logger.js';
import { logFormatOf, logFormatOption } from './log-options.js';
import { startLocalEc2, type FaultSpec, type LatencySpec } from '../sim/ec2/index.js';

// `vpcrc sim ec2`: the local EC2 on its own. Prints exactly one line on stdout,
// `EC2 endpoint: http://127.0.0.1:<port>`, and serves until SIGINT/SIGTERM. Bad flags exit 2.

const EXIT_USAGE = 2;

function intArg(name: string, min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new InvalidArgumentError(`${name} must be an integer between ${min} and ${max}.`);
    const n = Number(raw);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer between ${min} and ${max}.`);
    return n;
  };
}

function positiveNumber(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number.`);
    return n;
  };
}

function nonNegativeNumber(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0.`);
    return n;
  };
}

function throttleArg(raw: string): 'aws' | 'off' {
  if (raw !== 'aws' && raw !== 'off') throw new InvalidArgumentError(`use 'aws' or 'off'.`);
  return raw;
}

/** `Action=ms` (or `*=ms`), repeatable. */
function latencyArg(raw: string, prev: Record<string, LatencySpec>): Record<string, LatencySpec> {
  const m = /^([A-Za-z*]+)=(\d+(?:\.\d+)?)$/.exec(raw);
  if (!m) throw new InvalidArgumentError(`expected Action=ms (e.g. CreateNetworkInterface=150 or *=20), got '${raw}'.`);
  return { ...prev, [m[1] as string]: { ms: Number(m[2]) } };
}

/** `Action=Code[:count|@rate]`, repeatable. */
function faultArg(raw: string, prev: Record<string, FaultSpec>): Record<string, FaultSpec> {
  const m = /^([A-Za-z*]+)=([A-Za-z.]+)(?::(\d+)|@(0(?:\.\d+)?|1(?:\.0+)?))?$/.exec(raw);
  if (!m) throw new InvalidArgumentError(`expected Action=Code[:count|@rate] (e.g. AttachNetworkInterface=InternalError:3), got '${raw}'.`);
  const spec: FaultSpec = { code: m[2] as string };
  if (m[3] !== undefined) {
    const count = Number(m[3]);
    if (count < 1) throw new InvalidArgumentError(`fault count must be ≥ 1 in '${raw}'.`);
    spec.count = count;
  }
  if (m[4] !== undefined) spec.rate = Number(m[4]);
  return { ...prev, [m[1] as string]: spec };
}

interface SimEc2Flags {
  logFormat?: string;
  port: number;
  host: string;
  throttle: 'aws' | 'off';
  timeScale: number;
  region: string;
  attachDelayMs: number;
  consistencyDelayMs: number;
  sgPerInterface: number;
  latency: Record<string, LatencySpec>;
  fault: Record<string, FaultSpec>;
  emptyWorld?: boolean;
}

/** Seams for tests: where signals come from (default: the process). */
export interface SimEc2Deps {
  signals?: Pick<EventEmitter, 'once'>;
}

export function registerSimEc2Command(parent: Command, deps: SimEc2Deps = {}): void {
  const signals = deps.signals ?? process;
  const cmd = parent
    .command('ec2')
    .description('run the local EC2 (EC2 Query API for @aws-sdk/client-ec2) until SIGINT/SIGTERM')
    .option('--port <n>', 'port to listen on (0 = any free port)', intArg('--port', 0, 65535), 0)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--throttle <profile>', "throttling: 'aws' (AWS's per-action token buckets) or 'off'", throttleArg, 'aws')
    .option('--time-scale <x>', 'run delays and bucket refills x times faster', positiveNumber('--time-scale'), 1)
    .option('--region <region>', 'region of the default world', 'us-west-2')
    .option('--attach-delay-ms <ms>', 'how long attachments stay attaching', nonNegativeNumber('--attach-delay-ms'), 0)
    .option('--consistency-delay-ms <ms>', 'how long new ENIs stay invisible to describes', nonNegativeNumber('--consistency-delay-ms'), 0)
    .option('--sg-per-interface <n>', 'security groups per interface quota', intArg('--sg-per-interface', 1, 16), 5)
    .option('--latency <Action=ms>', 'added latency for an action (repeatable; * = all)', latencyArg, {})
    .option('--fault <Action=Code[:count|@rate]>', 'inject an error for an action (repeatable; * = all)', faultArg, {})
    .addOption(logFormatOption())
    .option('--empty-world', 'start without the default VPC, subnets and security group')
    .exitOverride((err) => {
      // Help and version are not errors; everything else commander rejects is a usage error.
      process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version' ? 0 : EXIT_USAGE);
    })
    .action(async (flags: SimEc2Flags) => {
      if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(flags.region)) {
        console.error(`error: option '--region <region>' argument '${flags.region}' is invalid. Use a region name such as us-west-2.`);
        process.exit(EXIT_USAGE);
      }
      const logger = createLogger({ name: 'vpcrc-sim-ec2', format: logFormatOf(flags) });
      const ec2 = await startLocalEc2({
        port: flags.port,
        host: flags.host,
        throttle: flags.throttle,
        timeScale: flags.timeScale,
        region: flags.region,
        attachDelayMs: flags.attachDelayMs,
        consistencyDelayMs: flags.consistencyDelayMs,
        securityGroupsPerInterface: flags.sgPerInterface,
        latency: flags.latency,
        faults: flags.fault,
        defaultWorld: !flags.emptyWorld,
        logger,
      }).catch((err: unknown) => {
        const code = (err as { code?: string }).code;
        console.error(`error: cannot listen on ${flags.host}:${flags.port}: ${code ?? (err instanceof Error ? err.message : String(err))}`);
        return process.exit(1);
      });
      console.log(`EC2 endpoint: ${ec2.endpoint}`);
      const stop = (signal: string): void => {
        logger.info({ signal }, 'stopping local EC2');
        ec2.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      signals.once('SIGINT', () => stop('SIGINT'));
      signals.once('SIGTERM', () => stop('SIGTERM'));
    });
  // Keep the subcommand's own usage errors on its own exit code.
  cmd.showHelpAfterError('(run `vpcrc sim ec2 --help` for the options)');
}
