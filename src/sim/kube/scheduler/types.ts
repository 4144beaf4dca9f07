// The slice of Pod and Node the scheduler reads. Plain JSON shapes (what the API server sends),
// deliberately loose: objects from a list come through client-node's serializer, objects from a
// watch do not, so timestamps may be strings or Dates.

export type ResourceList = Record<string, string | number | undefined>;

export interface ContainerLike {
  name?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
}

export interface Toleration {
  key?: string;
  operator?: string; // Equal (default) | Exists
  value?: string;
  effect?: string; // NoSchedule | PreferNoSchedule | NoExecute | '' (all)
  tolerationSeconds?: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: string; // In | NotIn | Exists | DoesNotExist | Gt | Lt
  values?: string[];
}

export interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: {
    nodeName?: string;
    schedulerName?: string;
    priority?: number;
    nodeSelector?: Record<string, string>;
    tolerations?: Toleration[];
    containers?: ContainerLike[];
    initContainers?: ContainerLike[];
    overhead?: ResourceList;
    affinity?: {
      nodeAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution?: {
          nodeSelectorTerms?: { matchExpressions?: NodeSelectorRequirement[] }[];
        };
      };
    };
  };
  status?: { phase?: string };
}

export interface NodeCondition {
  type?: string;
  status?: string;
}

export interface NodeLike {
  metadata?: { name?: string; labels?: Record<string, string>; deletionTimestamp?: string | Date };
  spec?: { unschedulable?: boolean; taints?: Taint[] };
  status?: { allocatable?: ResourceList; capacity?: ResourceList; conditions?: NodeCondition[] };
}
