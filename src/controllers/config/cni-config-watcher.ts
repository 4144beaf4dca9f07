// Watches the VPC CNI's ConfigMap kube-system/amazon-vpc-cni for the settings the controller reads
// live:
// - `branch-eni-cooldown` (seconds; default 60, floor 30): how long a released branch ENI waits
//   before deletion. A change is announced with a `BranchENICoolDownPeriodUpdated` Normal event on
//   every Node — where the reference puts it and where its users look (`kubectl describe node`).
// - `ec2-*` pacing knobs (docs/tuning.md): applied to the EC2 gateway with `reconfigure`, on top of
//   the flag-derived configuration the gateway started with. Bad keys never stop the controller;
//   they are logged with the key named.
import type { V1ConfigMap } from '@kubernetes/client-node';
import {
  CNI_CONFIGMAP_NAME,
  CNI_CONFIGMAP_NAMESPACE,
  CONFIG_KEY_BRANCH_ENI_COOLDOWN,
  CONFIG_KEY_BRANCH_ENI_WARM,
  CONFIG_KEY_BRANCH_ENI_MIN_WARM,
  CONFIG_KEY_BRANCH_ENI_MIN_WARM_WINDOW,
  DEFAULT_BRANCH_ENI_MIN_WARM_WINDOW_SECONDS,
  DEFAULT_BRANCH_ENI_WARM_SECONDS,
  DEFAULT_BRANCH_ENI_COOLDOWN_SECONDS,
  MIN_BRANCH_ENI_COOLDOWN_SECONDS,
  REASON_BRANCH_ENI_COOLDOWN_UPDATED,
  messageCooldownUpdated,
} from '../../apis/constants.js';
import { pacingFromConfigMap, type PacingConfig } from '../../aws/pacing-config.js';
import { formatDuration } from '../../domain/cooldown.js';
import { eventTarget } from '../../kube/events.js';
import type { ControllerContext, ControllerPart } from '../context.js';
import { MAX_MIN_WARM } from '../../domain/warm-minimum.js';
import { effectiveCooldown } from './cooldown-setting.js';

export interface CniConfig extends ControllerPart {
  /** The cooldown in force now, in seconds. */
  cooldownSeconds(): number;
  /** Called after the cooldown changed (seconds). */
  onCooldownChange(listener: (seconds: number) => void): void;
  /** How long a branch ENI is kept warm for reuse after its cooldown, seconds; 0 = reuse off. */
  warmSeconds(): number;
  /** Warm ENIs to keep per node and recently used group set (0 = off). */
  minWarm(): number;
  /** How long a group set used on a node counts as recent for the minimum, seconds. */
  minWarmWindowSeconds(): number;
}

/** A whole number from `min` to `max` (surrounding blanks allowed), else undefined. */
const wholeIn = (raw: string, min: number, max: number): number | undefined => {
  const t = raw.trim();
  if (!/^\d{1,6}$/.test(t)) return undefined;
  const n = Number(t);
  return n >= min && n <= max ? n : undefined;
};

export function startCniConfigWatcher(ctx: ControllerContext): CniConfig {
  const log = ctx.logger.child({ controller: 'cni-config' });
  const minSeconds = ctx.settings.minCooldownSeconds ?? MIN_BRANCH_ENI_COOLDOWN_SECONDS;
  const defaultSeconds = ctx.settings.defaultCooldownSeconds || DEFAULT_BRANCH_ENI_COOLDOWN_SECONDS;
  // The flag-derived pacing the gateway started with: ConfigMap keys apply on top of it, and a key
  // removed from the ConfigMap falls back to it.
  const basePacing: PacingConfig = ctx.ec2.currentConfig();
  let cooldown = defaultSeconds;
  const defaultWarm = ctx.settings.branchEniWarmSeconds ?? DEFAULT_BRANCH_ENI_WARM_SECONDS;
  let warm = defaultWarm;
  const defaultMinWarm = ctx.settings.branchEniMinWarm ?? 0;
  const defaultWindow = ctx.settings.branchEniMinWarmWindowSeconds ?? DEFAULT_BRANCH_ENI_MIN_WARM_WINDOW_SECONDS;
  let minWarm = defaultMinWarm;
  let minWarmWindow = defaultWindow;
  let lastPacing = JSON.stringify(basePacing);
  let lastReason: string | undefined;
  let stopped = false;
  const listeners: ((s: number) => void)[] = [];

  const apply = (cm: V1ConfigMap | undefined, announce: boolean): void => {
    if (stopped) return;
    if (cm && (cm.metadata?.namespace !== CNI_CONFIGMAP_NAMESPACE || cm.metadata?.name !== CNI_CONFIGMAP_NAME)) return;
    const raw = cm?.data?.[CONFIG_KEY_BRANCH_ENI_COOLDOWN];
    const setting = raw === undefined ? { seconds: defaultSeconds } : effectiveCooldown(raw, minSeconds);
    if (setting.reason && setting.reason !== lastReason) log.warn({ value: raw }, setting.reason);
    lastReason = setting.reason;
    if (setting.seconds !== cooldown) {
      cooldown = setting.seconds;
      log.info({ seconds: cooldown }, 'branch ENI cooldown updated');
      if (announce) {
        const message = messageCooldownUpdated(formatDuration(cooldown));
        for (const node of ctx.informers.nodes.list()) ctx.events.normal(eventTarget('Node', node), REASON_BRANCH_ENI_COOLDOWN_UPDATED, message);
      }
      for (const l of listeners) l(cooldown);
    }
    const rawWarm = cm?.data?.[CONFIG_KEY_BRANCH_ENI_WARM];
    const nextWarm = rawWarm === undefined ? defaultWarm : /^\d+$/.test(rawWarm.trim()) ? Number(rawWarm.trim()) : undefined;
    if (nextWarm === undefined) {
      log.warn({ value: rawWarm }, `${CONFIG_KEY_BRANCH_ENI_WARM} must be a whole number of seconds (0 turns reuse off); keeping ${warm}`);
    } else if (nextWarm !== warm) {
      warm = nextWarm;
      log.info({ seconds: warm }, warm === 0 ? 'branch ENI reuse turned off' : 'branch ENI warm time updated');
    }
    const rawMin = cm?.data?.[CONFIG_KEY_BRANCH_ENI_MIN_WARM];
    const nextMin = rawMin === undefined ? defaultMinWarm : wholeIn(rawMin, 0, MAX_MIN_WARM);
    if (nextMin === undefined) {
      log.warn({ value: rawMin }, `${CONFIG_KEY_BRANCH_ENI_MIN_WARM} must be a whole number of warm branch ENIs per node and group set from 0 to ${MAX_MIN_WARM} (0 turns it off); keeping ${minWarm}`);
    } else if (nextMin !== minWarm) {
      minWarm = nextMin;
      log.info({ minWarm }, minWarm === 0 ? 'warm minimum turned off' : 'warm minimum per node and group set updated');
    }
    const rawWindow = cm?.data?.[CONFIG_KEY_BRANCH_ENI_MIN_WARM_WINDOW];
    const nextWindow = rawWindow === undefined ? defaultWindow : wholeIn(rawWindow, 1, 86_400);
    if (nextWindow === undefined) {
      log.warn({ value: rawWindow }, `${CONFIG_KEY_BRANCH_ENI_MIN_WARM_WINDOW} must be a whole number of seconds from 1 to 86400; keeping ${minWarmWindow}`);
    } else if (nextWindow !== minWarmWindow) {
      minWarmWindow = nextWindow;
      log.info({ seconds: minWarmWindow }, 'warm minimum window updated');
    }
    const { config, errors } = pacingFromConfigMap(cm?.data, basePacing);
    for (const e of errors) log.warn(`${CNI_CONFIGMAP_NAMESPACE}/${CNI_CONFIGMAP_NAME}: ${e}`);
    const next = JSON.stringify(config);
    if (next !== lastPacing) {
      lastPacing = next;
      ctx.ec2.reconfigure(config);
    }
  };

  const key = `${CNI_CONFIGMAP_NAMESPACE}/${CNI_CONFIGMAP_NAME}`;
  // What is there at start is the configuration, not a change: no event for it.
  apply(ctx.informers.cniConfig.get(key), false);
  // Objects delivered by the first list (before sync) are the starting state too.
  const announce = (): boolean => ctx.informers.cniConfig.hasSynced();
  ctx.informers.cniConfig.onAdd((cm) => apply(cm, announce()));
  ctx.informers.cniConfig.onUpdate((cm) => apply(cm, announce()));
  ctx.informers.cniConfig.onDelete(() => apply(undefined, announce()));

  return {
    cooldownSeconds: () => cooldown,
    warmSeconds: () => warm,
    minWarm: () => minWarm,
    minWarmWindowSeconds: () => minWarmWindow,
    onCooldownChange: (l) => listeners.push(l),
    ready: () => ctx.informers.cniConfig.hasSynced(),
    stop: () => {
      stopped = true;
      return Promise.resolve();
    },
  };
}
