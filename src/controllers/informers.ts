// The controller's view of the cluster: one supervised informer per resource it reads. Handlers
// only enqueue keys (design principle 1); reconcilers read these caches.
import type { KubeConfig, KubernetesListObject, KubernetesObject, V1ConfigMap, V1Node, V1Pod, V1ServiceAccount } from '@kubernetes/client-node';
import {
  CNINODE_GROUP,
  CNINODE_PLURAL,
  CNINODE_VERSION,
  CNI_CONFIGMAP_NAME,
  CNI_CONFIGMAP_NAMESPACE,
  ENICONFIG_GROUP,
  ENICONFIG_PLURAL,
  ENICONFIG_VERSION,
  SGP_GROUP,
  SGP_PLURAL,
  SGP_VERSION,
} from '../apis/constants.js';
import type { CNINode } from '../apis/cninode.js';
import type { ENIConfig } from '../apis/eniconfig.js';
import type { SecurityGroupPolicy } from '../apis/security-group-policy.js';
import { mayHoldBranchEnis, trimCniNode, trimNode, trimPod } from './cache-trim.js';
import type { KubeClients } from '../kube/client.js';
import { SupervisedInformer } from '../kube/informer.js';
import type { Logger } from '../observability/logger.js';
import type { Registry } from '../observability/metrics.js';

export type CNINodeObject = CNINode & KubernetesObject;
export type ENIConfigObject = ENIConfig & KubernetesObject;
export type SecurityGroupPolicyObject = SecurityGroupPolicy & KubernetesObject;

export interface ControllerInformers {
  nodes: SupervisedInformer<V1Node>;
  cniNodes: SupervisedInformer<CNINodeObject>;
  eniConfigs: SupervisedInformer<ENIConfigObject>;
  /** All pods, trimmed to what the controller reads (cache-trim.ts); indexed by `namespace`, and those that may hold branch ENIs by `nodeName` and `uid`. */
  pods: SupervisedInformer<V1Pod>;
  policies: SupervisedInformer<SecurityGroupPolicyObject>;
  serviceAccounts: SupervisedInformer<V1ServiceAccount>;
  /** Only kube-system/amazon-vpc-cni. */
  cniConfig: SupervisedInformer<V1ConfigMap>;
}

/** Lists page through the API server this many objects at a time (client-go's informers use 500 too). */
export const LIST_PAGE_SIZE = 500;

export const POD_INDEX_NODE = 'nodeName';
export const POD_INDEX_UID = 'uid';
export const POD_INDEX_NAMESPACE = 'namespace';
export const SGP_INDEX_NAMESPACE = 'namespace';

/** How informers notice a silent watch and repair missed events (SupervisedInformer's defaults when unset). */
export interface InformerLiveness {
  watchStaleMs?: number;
  relistIntervalMs?: number;
}

export function createInformers(deps: { kc: KubeConfig; clients: KubeClients; registry: Registry; logger: Logger; pageSize?: number; liveness?: InformerLiveness }): ControllerInformers {
  const { kc, clients, registry, logger } = deps;
  const pageSize = deps.pageSize ?? LIST_PAGE_SIZE;
  const common = { kc, registry, logger, ...deps.liveness };
  const asList = <T extends KubernetesObject>(p: Promise<unknown>): Promise<KubernetesListObject<T>> =>
    p as Promise<KubernetesListObject<T>>;
  return {
    nodes: new SupervisedInformer<V1Node>({
      ...common,
      name: 'nodes',
      path: '/api/v1/nodes',
      list: (q) => clients.core.listNode(q),
      transform: trimNode,
      pageSize,
    }),
    cniNodes: new SupervisedInformer<CNINodeObject>({
      ...common,
      name: 'cninodes',
      path: `/apis/${CNINODE_GROUP}/${CNINODE_VERSION}/${CNINODE_PLURAL}`,
      list: (q) => asList(clients.custom.listClusterCustomObject({ group: CNINODE_GROUP, version: CNINODE_VERSION, plural: CNINODE_PLURAL, ...q })),
      transform: trimCniNode,
      pageSize,
    }),
    eniConfigs: new SupervisedInformer<ENIConfigObject>({
      ...common,
      name: 'eniconfigs',
      path: `/apis/${ENICONFIG_GROUP}/${ENICONFIG_VERSION}/${ENICONFIG_PLURAL}`,
      list: (q) =>
        asList(clients.custom.listClusterCustomObject({ group: ENICONFIG_GROUP, version: ENICONFIG_VERSION, plural: ENICONFIG_PLURAL, ...q })),
    }),
    pods: new SupervisedInformer<V1Pod>({
      ...common,
      name: 'pods',
      path: '/api/v1/pods',
      list: (q) => clients.core.listPodForAllNamespaces(q),
      transform: trimPod,
      pageSize,
      // Only pods that may hold branch ENIs are looked up by node or UID (rebuild, GC, trunk ready);
      // leaving the others out keeps two index entries per pod off the other 80 % of a big cluster.
      indexers: {
        [POD_INDEX_NODE]: (p) => (p.spec?.nodeName && mayHoldBranchEnis(p) ? [p.spec.nodeName] : []),
        [POD_INDEX_UID]: (p) => (p.metadata?.uid && mayHoldBranchEnis(p) ? [p.metadata.uid] : []),
        [POD_INDEX_NAMESPACE]: (p) => (p.metadata?.namespace ? [p.metadata.namespace] : []),
      },
    }),
    policies: new SupervisedInformer<SecurityGroupPolicyObject>({
      ...common,
      name: 'securitygrouppolicies',
      path: `/apis/${SGP_GROUP}/${SGP_VERSION}/${SGP_PLURAL}`,
      list: (q) => asList(clients.custom.listCustomObjectForAllNamespaces({ group: SGP_GROUP, version: SGP_VERSION, plural: SGP_PLURAL, ...q })),
      indexers: { [SGP_INDEX_NAMESPACE]: (p) => (p.metadata?.namespace ? [p.metadata.namespace] : []) },
    }),
    serviceAccounts: new SupervisedInformer<V1ServiceAccount>({
      ...common,
      name: 'serviceaccounts',
      path: '/api/v1/serviceaccounts',
      list: (q) => clients.core.listServiceAccountForAllNamespaces(q),
    }),
    cniConfig: new SupervisedInformer<V1ConfigMap>({
      ...common,
      name: 'amazon-vpc-cni',
      path: `/api/v1/namespaces/${CNI_CONFIGMAP_NAMESPACE}/configmaps`,
      fieldSelector: `metadata.name=${CNI_CONFIGMAP_NAME}`,
      list: (q) => clients.core.listNamespacedConfigMap({ namespace: CNI_CONFIGMAP_NAMESPACE, ...q }),
    }),
  };
}

export function allInformers(i: ControllerInformers): SupervisedInformer<KubernetesObject>[] {
  return Object.values(i) as SupervisedInformer<KubernetesObject>[];
}

/** Labels of a cached ServiceAccount ({} when it has none); undefined when it is not in the cache. */
export function serviceAccountLabels(informers: Pick<ControllerInformers, 'serviceAccounts'>, namespace: string, name: string): Record<string, string> | undefined {
  const sa = informers.serviceAccounts.get(`${namespace}/${name}`);
  return sa ? (sa.metadata?.labels ?? {}) : undefined;
}
