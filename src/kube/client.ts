// Kubernetes client construction: one KubeConfig per process and a typed bundle of the API
// clients the controller uses. Reconcilers receive `KubeClients`, never a KubeConfig, so tests can
// point them at the local API server by building a bundle from its kubeconfig.
//
//   const kc = loadKubeConfig({ kubeconfig: opts.kubeconfig });   // in-cluster when run in a pod
//   const kube = makeKubeClients(kc);
//   await kube.core.readNode({ name });
import {
  AdmissionregistrationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
} from '@kubernetes/client-node';
import type { Agent as HttpAgent } from 'node:http';

export interface LoadKubeConfigOptions {
  /** Path to a kubeconfig file. Without it: in-cluster when running in a pod, else the default chain. */
  kubeconfig?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** For tests: the environment to inspect (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Load a KubeConfig. Order: an explicit file; in-cluster (service account token) when
 * KUBERNETES_SERVICE_HOST is set; otherwise client-node's default loading ($KUBECONFIG, ~/.kube/config).
 * Throws a clear error when no cluster is configured or the context does not exist.
 */
export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  const env = opts.env ?? process.env;
  if (opts.kubeconfig) {
    try {
      kc.loadFromFile(opts.kubeconfig);
    } catch (err) {
      throw new Error(`cannot load kubeconfig ${opts.kubeconfig}: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else if (env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
  } else {
    kc.loadFromDefault();
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(`kubeconfig has no context "${opts.context}" (known: ${known.join(', ') || 'none'})`);
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new Error('no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG, or run in a pod');
  }
  return kc;
}

/** The API clients the controller uses, all from one KubeConfig. */
export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
  admission: AdmissionregistrationV1Api;
  events: EventsV1Api;
}

export function makeKubeClients(kc: KubeConfig): KubeClients {
  reuseConnections(kc);
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    coordination: kc.makeApiClient(CoordinationV1Api),
    admission: kc.makeApiClient(AdmissionregistrationV1Api),
    events: kc.makeApiClient(EventsV1Api),
  };
}

const REUSING = Symbol('vpcrc.reuseConnections');
type AgentFactory = (cluster: unknown, options: Record<string, unknown>) => HttpAgent;

/**
 * Make every client built from `kc` (API clients and informers' watches alike) share keep-alive
 * agents. client-node 1.4 builds a new agent per request, so each call to the API server opens a
 * new TCP connection and, over TLS, a full handshake: most of a busy controller's CPU. Agents are
 * cached by their options (CA, client cert and key, TLS settings), so rotated client certificates
 * still get a fresh agent. `opts.agent` instead uses that one agent for everything (the sandbox
 * shares one across all its in-process clients and destroys it on stop). Idempotent.
 * (`createAgent` is not public API in client-node 1.4: if it goes away this does nothing and
 * requests work as before, only slower.)
 */
export function reuseConnections(kc: KubeConfig, opts: { agent?: HttpAgent } = {}): KubeConfig {
  const target = kc as unknown as { createAgent?: AgentFactory; [REUSING]?: true };
  const original = target.createAgent;
  if (typeof original !== 'function' || target[REUSING]) return kc;
  const agents = new Map<string, HttpAgent>();
  const shared = opts.agent;
  target.createAgent = (cluster, options) => {
    if (shared) return shared;
    const key = JSON.stringify([(cluster as { server?: string } | undefined)?.server, Object.entries(options).sort(([a], [b]) => a.localeCompare(b))]);
    let agent = agents.get(key);
    if (!agent) {
      agent = original.call(kc, cluster, { ...options, keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
  };
  target[REUSING] = true;
  return kc;
}
