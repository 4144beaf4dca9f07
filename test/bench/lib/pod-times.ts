// Watches the pods of one namespace and notes, per pod, when it was first seen bound to a node and
// when it was first seen with the controller's pod-eni annotation (real ms, performance.now()).
// One watcher notes both, so its own delay cancels out of "scheduled → annotated".
//
//   const times = await watchPodTimes(kc, 'bench');
//   ...; times.annotatedCount(); times.entries(); await times.stop();
import { Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_POD_ENI } from '../../../src/apis/constants.js';

export interface PodTimes {
  scheduledAt?: number;
  annotatedAt?: number;
}

export interface PodTimesWatch {
  entries(): ReadonlyMap<string, PodTimes>;
  annotatedCount(): number;
  /** The watch ended with an error (the run cannot be measured). */
  error(): unknown;
  stop(): void;
}

export async function watchPodTimes(kc: KubeConfig, namespace: string): Promise<PodTimesWatch> {
  const times = new Map<string, PodTimes>();
  let annotated = 0;
  let failure: unknown;
  let stopping = false;
  const seen = (pod: V1Pod): void => {
    const name = pod.metadata?.name;
    if (!name) return;
    const now = performance.now();
    let t = times.get(name);
    if (!t) times.set(name, (t = {}));
    if (t.scheduledAt === undefined && pod.spec?.nodeName) t.scheduledAt = now;
    if (t.annotatedAt === undefined && pod.metadata?.annotations?.[ANNOTATION_POD_ENI]) {
      t.annotatedAt = now;
      annotated++;
    }
  };
  const abort = await new Watch(kc).watch(
    `/api/v1/namespaces/${namespace}/pods`,
    { allowWatchBookmarks: false },
    (phase: string, obj: V1Pod) => {
      if (phase === 'ADDED' || phase === 'MODIFIED') seen(obj);
    },
    (err: unknown) => {
      if (!stopping) failure = err ?? new Error('pod watch ended');
    },
  );
  return {
    entries: () => times,
    annotatedCount: () => annotated,
    error: () => failure,
    stop() {
      stopping = true;
      abort.abort();
    },
  };
}
