// `vpcrc cleanup --cluster-name C [--dry-run]`: deletes every ENI this cluster's controller owns
// (branches, then trunks of terminated instances), for uninstall and cluster teardown. The plan is
// always printed first, one ENI a line; --dry-run stops there. Exit codes as everywhere: 2 usage
// (missing or bad flag), 1 runtime (EC2 unreachable, a delete that failed), 0 done.
import type { Command } from 'commander';
import { createEc2Client, resolveEc2Endpoint } from '../aws/ec2-client.js';
import { Ec2Gateway } from '../aws/gateway.js';
import { defaultPacingConfig } from '../aws/pacing-config.js';
import { describePlan, planCleanup, runCleanup } from '../controllers/cleanup/cleanup.js';
import { createLogger } from '../observability/logger.js';
import { UsageError } from './exit-codes.js';

interface CleanupFlags {
  clusterName?: string;
  region?: string;
  ec2Endpoint?: string;
  dryRun?: boolean;
}

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export interface CleanupSettings {
  clusterName: string;
  region: string;
  endpoint?: string;
  dryRun: boolean;
}

/** Flags → settings; throws UsageError naming the flag. */
export function cleanupSettings(flags: CleanupFlags, env: NodeJS.ProcessEnv = process.env): CleanupSettings {
  const clusterName = flags.clusterName ?? env.CLUSTER_NAME;
  if (!clusterName) throw new UsageError('vpcrc cleanup: --cluster-name is required (the cluster whose ENIs are deleted; it is in their kubernetes.io/cluster/<name> tag)');
  if (!CLUSTER_NAME.test(clusterName) || clusterName.length > 100) throw new UsageError(`vpcrc cleanup: --cluster-name: "${clusterName}" is not a cluster name (letters, digits, - and _, up to 100)`);
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('vpcrc cleanup: --region is required (or set AWS_REGION)');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new UsageError(`vpcrc cleanup: --region: "${region}" is not an AWS region (e.g. us-west-2)`);
  let endpoint: string | undefined;
  try {
    endpoint = resolveEc2Endpoint({ ...(flags.ec2Endpoint ? { endpoint: flags.ec2Endpoint } : {}), env });
  } catch (err) {
    throw new UsageError(`vpcrc cleanup: --ec2-endpoint: ${(err as Error).message}`);
  }
  return { clusterName, region, ...(endpoint ? { endpoint } : {}), dryRun: flags.dryRun === true };
}

export function registerCleanupCommand(program: Command): void {
  program
    .command('cleanup')
    .description("delete every ENI this cluster's controller owns (branch ENIs, then trunks of terminated instances): for uninstall and cluster teardown; stop the controller first")
    .option('--cluster-name <name>', 'the cluster whose ENIs are deleted (or $CLUSTER_NAME)')
    .option('--region <region>', 'AWS region (or $AWS_REGION)')
    .option('--ec2-endpoint <url>', 'EC2 endpoint URL (or $AWS_ENDPOINT_URL_EC2), e.g. a local EC2')
    .option('--dry-run', 'only list what would be deleted')
    .action(async (flags: CleanupFlags) => {
      const s = cleanupSettings(flags);
      const logger = createLogger({ level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'warn', name: 'vpcrc-cleanup' });
      const client = createEc2Client({ region: s.region, ...(s.endpoint ? { endpoint: s.endpoint } : {}) });
      const ec2 = new Ec2Gateway({ client, config: defaultPacingConfig(), logger });
      try {
        const plan = await planCleanup(ec2, s.clusterName);
        for (const line of describePlan(plan)) console.log(line);
        const total = plan.branches.length + plan.trunks.length;
        console.log(`${s.dryRun ? 'would delete' : 'deleting'} ${plan.branches.length} branch and ${plan.trunks.length} trunk ENIs of cluster ${s.clusterName}${plan.kept.length ? `; ${plan.kept.length} trunks of running instances kept` : ''}`);
        if (s.dryRun || total === 0) return;
        const result = await runCleanup(ec2, plan);
        for (const f of result.failed) console.error(`failed ${f.eniId}: ${f.error}`);
        console.log(`deleted ${result.deleted.length} of ${total} ENIs`);
        if (result.failed.length > 0) throw new Error(`vpcrc cleanup: ${result.failed.length} ENIs could not be deleted (listed above); run it again`);
      } finally {
        await ec2.close();
        client.destroy();
      }
    });
}
