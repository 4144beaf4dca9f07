// A competing EC2 client for benchmarks: its own SDK client against the same local EC2, spending a
// fraction of each named bucket's refill for as long as it runs, as another tool in the account
// would. Its calls name resources that do not exist, so EC2 meters them (a token is taken before
// validation) and then rejects them: they cost budget but change nothing in the world.
//
//   const c = startCompetitor({ endpoint, region, actions: { CreateNetworkInterface: 2.5 * timeScale } });
//   ...; const counts = await c.stop();   // per action: sent, throttled
import {
  AssociateTrunkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateNetworkInterfacePermissionCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';

/** Actions the competitor knows how to spend (the ones a branch ENI costs). */
export const COMPETITOR_ACTIONS = ['CreateNetworkInterface', 'AssociateTrunkInterface', 'CreateNetworkInterfacePermission'] as const;
export type CompetitorAction = (typeof COMPETITOR_ACTIONS)[number];

export interface CompetitorCounts {
  sent: number;
  throttled: number;
}

export interface Competitor {
  /** Stops sending, waits for calls in flight, and returns what was sent per action. */
  stop(): Promise<Record<string, CompetitorCounts>>;
}

const MISSING_ENI = 'eni-0000000000000dead';

function commandFor(action: CompetitorAction): object {
  switch (action) {
    case 'CreateNetworkInterface':
      return new CreateNetworkInterfaceCommand({ SubnetId: 'subnet-0000000000000dead' });
    case 'AssociateTrunkInterface':
      return new AssociateTrunkInterfaceCommand({ BranchInterfaceId: MISSING_ENI, TrunkInterfaceId: 'eni-0000000000000beef', VlanId: 1 });
    case 'CreateNetworkInterfacePermission':
      return new CreateNetworkInterfacePermissionCommand({ NetworkInterfaceId: MISSING_ENI, AwsAccountId: '123456789012', Permission: 'INSTANCE-ATTACH' });
  }
}

/**
 * Starts spending: `actions` maps an action to calls per real second. Calls are spread evenly
 * (a 20 ms tick with the fraction carried over), never retried (one attempt), and counted.
 */
export function startCompetitor(opts: { endpoint: string; region: string; actions: Partial<Record<CompetitorAction, number>> }): Competitor {
  const client = new EC2Client({
    endpoint: opts.endpoint,
    region: opts.region,
    credentials: { accessKeyId: 'AKIACOMPETITOR', secretAccessKey: 'competitor' },
    maxAttempts: 1,
    requestHandler: { requestTimeout: 10_000, throwOnRequestTimeout: true },
  });
  const counts: Record<string, CompetitorCounts> = {};
  const inflight = new Set<Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  for (const [action, perSecond] of Object.entries(opts.actions) as [CompetitorAction, number][]) {
    if (!(perSecond > 0)) continue;
    const c = (counts[action] = { sent: 0, throttled: 0 });
    let carry = 0;
    let last = performance.now();
    timers.push(
      setInterval(() => {
        const now = performance.now();
        carry += ((now - last) / 1000) * perSecond;
        last = now;
        for (; carry >= 1; carry--) {
          c.sent++;
          const p = (client.send(commandFor(action) as CreateNetworkInterfaceCommand) as Promise<unknown>).then(
            () => undefined,
            (err: unknown) => {
              if ((err as { name?: string }).name === 'RequestLimitExceeded') c.throttled++;
            },
          );
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
        }
      }, 20),
    );
  }
  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.allSettled([...inflight]);
      client.destroy();
      return counts;
    },
  };
}
