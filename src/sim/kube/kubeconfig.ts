// Kubeconfigs for the local API server: one user and one context per sandbox identity.
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { IdentityName } from './auth.js';
import type { LocalKube } from './index.js';

const CONTEXTS: [context: string, user: IdentityName][] = [
  ['admin', 'admin'],
  ['aws-node', 'awsNode'],
  ['controller', 'controller'],
  ['kubelet', 'kubelet'],
  ['scheduler', 'scheduler'],
];

const CLUSTER = 'local';

function kubeconfigObject(kube: Pick<LocalKube, 'url' | 'httpsUrl' | 'caPem' | 'tokens'>, server: 'http' | 'https', currentContext: string): Record<string, unknown> {
  const cluster =
    server === 'https'
      ? { server: kube.httpsUrl, 'certificate-authority-data': Buffer.from(kube.caPem).toString('base64') }
      : // client-node refuses plain HTTP unless TLS verification is (vacuously) skipped.
        { server: kube.url, 'insecure-skip-tls-verify': true };
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CLUSTER, cluster }],
    users: CONTEXTS.map(([name, id]) => ({ name, user: { token: kube.tokens[id] } })),
    contexts: CONTEXTS.map(([name]) => ({ name, context: { cluster: CLUSTER, user: name } })),
    'current-context': currentContext,
    preferences: {},
  };
}

/**
 * A kubeconfig with contexts admin (current by default), aws-node, controller, kubelet, scheduler.
 * HTTPS by default: kubectl (client-go's clientcmd) only sends a user's token over TLS.
 */
export function buildKubeconfigYaml(kube: LocalKube, opts: { server?: 'http' | 'https'; currentContext?: string } = {}): string {
  const current = opts.currentContext ?? 'admin';
  if (!CONTEXTS.some(([c]) => c === current)) {
    throw new Error(`unknown context "${current}": expected one of ${CONTEXTS.map(([c]) => c).join(', ')}`);
  }
  return stringify(kubeconfigObject(kube, opts.server ?? 'https', current));
}

/** A client-node KubeConfig authenticated as one sandbox identity (over HTTP). */
export function kubeConfigFor(kube: LocalKube, user: IdentityName, server: 'http' | 'https' = 'http'): KubeConfig {
  const kc = new KubeConfig();
  const context = CONTEXTS.find(([, id]) => id === user)?.[0] ?? 'admin';
  kc.loadFromString(JSON.stringify(kubeconfigObject(kube, server, context)));
  return kc;
}
