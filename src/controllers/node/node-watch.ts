// Which informer events matter to the node reconciler. Pure, so the enqueue rules are tested
// with tables: heartbeats (status.conditions) change a Node every few seconds and must not
// make every node reconcile; a change to labels, annotations, providerID or the pod-eni capacity
// must (the capacity is re-asserted when something removes it).
import type { V1Node } from '@kubernetes/client-node';
import { RESOURCE_POD_ENI } from '../../apis/constants.js';
import { cniNodeFeatures } from '../../apis/cninode.js';
import { nodeFacts } from '../kube-facts.js';
import { resolveEniConfig, type EniConfigSettings } from '../../domain/eniconfig-resolution.js';
import type { CNINodeObject } from '../informers.js';

const sameMap = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
  const ea = Object.entries(a ?? {});
  return ea.length === Object.keys(b ?? {}).length && ea.every(([k, v]) => b?.[k] === v);
};

/** True when an update of a Node can change what the node reconciler does. */
export function nodeChangeMatters(old: V1Node | undefined, cur: V1Node): boolean {
  if (!old) return true;
  const o = old.metadata ?? {};
  const c = cur.metadata ?? {};
  if (o.uid !== c.uid || Boolean(o.deletionTimestamp) !== Boolean(c.deletionTimestamp)) return true;
  if (!sameMap(o.labels, c.labels) || !sameMap(o.annotations, c.annotations)) return true;
  if (old.spec?.providerID !== cur.spec?.providerID) return true;
  const cap = (n: V1Node): string | undefined => (n.status?.capacity)?.[RESOURCE_POD_ENI];
  return cap(old) !== cap(cur);
}

/** Nodes whose ENIConfig name is `eniConfigName` (any source), i.e. those a change of it concerns. */
export function nodesUsingEniConfig(
  eniConfigName: string,
  nodes: readonly V1Node[],
  cniNodeOf: (name: string) => CNINodeObject | undefined,
  settings: EniConfigSettings,
): string[] {
  const out: string[] = [];
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    const cni = cniNodeOf(name);
    // Resolve against a lookup that only knows "something named X exists": we only need the name.
    const r = resolveEniConfig({ node: nodeFacts(node), cniNodeFeatures: cni ? cniNodeFeatures(cni) : undefined, settings, eniConfigs: () => undefined });
    if ('name' in r && r.name === eniConfigName) out.push(name);
  }
  return out;
}
