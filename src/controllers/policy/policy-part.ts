// The policy part of the controller: keeps the cluster VPC's security groups (for policies by name
// or tag) and, unless turned off, writes every SecurityGroupPolicy's status. Pods follow the
// catalog through the pod side, which re-reads policies when the catalog changes.
import type { ControllerContext, ControllerPart } from '../context.js';
import { startPolicyStatus } from './policy-status.js';

export interface PolicyPartOptions {
  /** Write status.conditions/resolvedGroupIds/matchedPods on each policy. Default on. */
  status?: boolean;
  /** Period of the VPC security group refresh. Default 5 min; 0 turns the periodic refresh off. */
  groupRefreshMs?: number;
  /** Pod churn is folded into one status write per policy per this long. Default 2 s. */
  podDebounceMs?: number;
}

export function startPolicyPart(ctx: ControllerContext, opts: PolicyPartOptions = {}): ControllerPart {
  const catalog = ctx.groupCatalog;
  // The VPC may only be known from the first trunk's subnet: try again when one appears.
  ctx.trunks.onChange((_info, event) => {
    if (event === 'ready' && catalog.groups() === undefined) void catalog.refresh();
  });
  catalog.start();
  const status =
    opts.status === false ? undefined : startPolicyStatus(ctx, { catalog, ...(opts.podDebounceMs !== undefined ? { podDebounceMs: opts.podDebounceMs } : {}) });
  return {
    ready: () => status?.ready?.() ?? true,
    async stop() {
      await status?.stop();
      await catalog.stop();
    },
  };
}
