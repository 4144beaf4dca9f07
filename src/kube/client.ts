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
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    coordination: kc.makeApiClient(CoordinationV1Api),
    admission: kc.makeApiClient(AdmissionregistrationV1Api),
    events: kc.makeApiClient(EventsV1Api),
  };
}
