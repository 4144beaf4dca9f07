// RBAC authorization for the sandbox identities that have a real ClusterRole to match. The local
// API server stores RBAC objects without enforcing them (rbac-strategies.ts); what it enforces is
// this table, so that a client given the `aws-node` context can do exactly what the real VPC CNI
// DaemonSet may, no more: a create of a CNINode by aws-node is Forbidden, as on EKS. Identities not
// listed here (admin, the controller, kubelet, scheduler) are not restricted.
//
// The verbs follow kube-apiserver's request-info resolution (GET on a name → get, on a collection
// → list, ?watch or /watch/ → watch, POST → create, PUT → update, PATCH → patch, DELETE → delete
// or deletecollection); the Forbidden message and details are kube-apiserver's, byte for byte.
import { forbidden, type KubeError } from './errors.js';

export interface PolicyRule {
  apiGroups: readonly string[];
  resources: readonly string[];
  verbs: readonly string[];
}

/**
 * The `aws-node` ClusterRole of the VPC CNI Helm chart v1.23.1
 * (charts/aws-vpc-cni/templates/clusterrole.yaml, ANNOTATE_POD_IP unset), which is what the CNINode
 * behaviour modelled by the node agent (v1.15 and later) runs with: CNINodes get/list/watch/patch,
 * never create; Nodes get/list/watch. Plus, on Nodes, `update` as in the chart up to v1.14.x (the
 * label-mode CNI set its labels with an Update) and `patch`, so that the sandbox's legacy label
 * mode and `kubectl label` as aws-node work; the controller's node webhook limits either to the two
 * labels the CNI owns.
 */
export const AWS_NODE_RULES: readonly PolicyRule[] = [
  { apiGroups: ['crd.k8s.amazonaws.com'], resources: ['eniconfigs'], verbs: ['list', 'watch', 'get'] },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch', 'get'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch', 'get'] },
  { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch', 'get', 'update', 'patch'] },
  { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'list'] },
  { apiGroups: ['networking.k8s.aws'], resources: ['policyendpoints', 'clusterpolicyendpoints'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['networking.k8s.aws'], resources: ['policyendpoints/status', 'clusterpolicyendpoints/status'], verbs: ['get'] },
  { apiGroups: ['vpcresources.k8s.aws'], resources: ['cninodes'], verbs: ['get', 'list', 'watch', 'patch'] },
];

/** Rules by username, for the identities whose permissions are modelled. */
export const RESTRICTED_USERS: ReadonlyMap<string, readonly PolicyRule[]> = new Map([['system:serviceaccount:kube-system:aws-node', AWS_NODE_RULES]]);

export interface RequestAttributes {
  verb: string;
  group: string;
  /** Plural name. */
  resource: string;
  subresource: string;
  namespace: string;
  name?: string;
}

/** kube-apiserver's verb for a resource request. */
export function requestVerb(method: string, hasName: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

const covers = (list: readonly string[], value: string): boolean => list.includes('*') || list.includes(value);

/** Whether the rules allow the request (RBAC: any rule matching group, resource[/subresource] and verb). */
export function allowedBy(rules: readonly PolicyRule[], a: RequestAttributes): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return rules.some((r) => covers(r.apiGroups, a.group) && covers(r.resources, resource) && covers(r.verbs, a.verb));
}

/** The Forbidden error kube-apiserver returns, or undefined when the user may make the request. */
export function authorize(username: string, a: RequestAttributes, restricted: ReadonlyMap<string, readonly PolicyRule[]> = RESTRICTED_USERS): KubeError | undefined {
  const rules = restricted.get(username);
  if (!rules || allowedBy(rules, a)) return undefined;
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  return forbidden(`${subject} is forbidden: User "${username}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`, {
    ...(a.name ? { name: a.name } : {}),
    group: a.group,
    kind: a.resource,
  });
}
