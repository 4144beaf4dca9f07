// The fields built-in kinds declare, for what a typed decoder does on the real server: unknown
// fields are dropped, reported as warnings, or refused with `fieldValidation=Strict`
// (`unknown field "spec.foo"`). Covers the object, metadata, pod spec and containers; deeper
// structures are taken as they come. Also the kinds an install uses (deploy/): Deployment down
// to its pod template, Service, Secret, PodDisruptionBudget and RBAC.
import { isObject, type JsonObject } from './objects.js';

interface Shape {
  fields: readonly string[];
  /** Shapes of object-valued fields. */
  objects?: Record<string, Shape>;
  /** Shapes of the items of list-valued fields. */
  lists?: Record<string, Shape>;
}

const META: Shape = {
  fields: ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'],
};

const CONTAINER: Shape = {
  fields: ['args', 'command', 'env', 'envFrom', 'image', 'imagePullPolicy', 'lifecycle', 'livenessProbe', 'name', 'ports', 'readinessProbe', 'resizePolicy', 'resources', 'restartPolicy', 'securityContext', 'startupProbe', 'stdin', 'stdinOnce', 'terminationMessagePath', 'terminationMessagePolicy', 'tty', 'volumeDevices', 'volumeMounts', 'workingDir'],
};

const POD_SPEC: Shape = {
  fields: ['activeDeadlineSeconds', 'affinity', 'automountServiceAccountToken', 'containers', 'dnsConfig', 'dnsPolicy', 'enableServiceLinks', 'ephemeralContainers', 'hostAliases', 'hostIPC', 'hostNetwork', 'hostPID', 'hostUsers', 'hostname', 'imagePullSecrets', 'initContainers', 'nodeName', 'nodeSelector', 'os', 'overhead', 'preemptionPolicy', 'priority', 'priorityClassName', 'readinessGates', 'resourceClaims', 'resources', 'restartPolicy', 'runtimeClassName', 'schedulerName', 'schedulingGates', 'securityContext', 'serviceAccount', 'serviceAccountName', 'setHostnameAsFQDN', 'shareProcessNamespace', 'subdomain', 'terminationGracePeriodSeconds', 'tolerations', 'topologySpreadConstraints', 'volumes'],
  lists: { containers: CONTAINER, initContainers: CONTAINER },
};

const object = (fields: string[], objects: Record<string, Shape> = {}): Shape => ({ fields: ['apiVersion', 'kind', 'metadata', ...fields], objects: { metadata: META, ...objects } });

const LABEL_SELECTOR: Shape = { fields: ['matchLabels', 'matchExpressions'] };

const POD_TEMPLATE: Shape = { fields: ['metadata', 'spec'], objects: { metadata: META, spec: POD_SPEC } };

const DEPLOYMENT_SPEC: Shape = {
  fields: ['replicas', 'selector', 'template', 'strategy', 'minReadySeconds', 'revisionHistoryLimit', 'paused', 'progressDeadlineSeconds'],
  objects: {
    selector: LABEL_SELECTOR,
    template: POD_TEMPLATE,
    strategy: { fields: ['type', 'rollingUpdate'], objects: { rollingUpdate: { fields: ['maxUnavailable', 'maxSurge'] } } },
  },
};

const SERVICE_SPEC: Shape = {
  fields: [
    'allocateLoadBalancerNodePorts',
    'clusterIP',
    'clusterIPs',
    'externalIPs',
    'externalName',
    'externalTrafficPolicy',
    'healthCheckNodePort',
    'internalTrafficPolicy',
    'ipFamilies',
    'ipFamilyPolicy',
    'loadBalancerClass',
    'loadBalancerIP',
    'loadBalancerSourceRanges',
    'ports',
    'publishNotReadyAddresses',
    'selector',
    'sessionAffinity',
    'sessionAffinityConfig',
    'trafficDistribution',
    'type',
  ],
  lists: { ports: { fields: ['name', 'protocol', 'appProtocol', 'port', 'targetPort', 'nodePort'] } },
};

const POLICY_RULE: Shape = { fields: ['apiGroups', 'resources', 'resourceNames', 'verbs', 'nonResourceURLs'] };
const ROLE_REF: Shape = { fields: ['apiGroup', 'kind', 'name'] };
const SUBJECT: Shape = { fields: ['kind', 'apiGroup', 'name', 'namespace'] };

const SHAPES: Record<string, Shape> = {
  '/Pod': object(['spec', 'status'], { spec: POD_SPEC }),
  '/Node': object(['spec', 'status'], { spec: { fields: ['podCIDR', 'podCIDRs', 'providerID', 'unschedulable', 'taints', 'configSource', 'externalID'] } }),
  '/Namespace': object(['spec', 'status']),
  '/ConfigMap': object(['data', 'binaryData', 'immutable']),
  '/ServiceAccount': object(['secrets', 'imagePullSecrets', 'automountServiceAccountToken']),
  '/Event': object(['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime', 'series', 'action', 'related', 'reportingComponent', 'reportingInstance']),
  'events.k8s.io/Event': object(['eventTime', 'series', 'reportingController', 'reportingInstance', 'action', 'reason', 'regarding', 'related', 'note', 'type', 'deprecatedSource', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'deprecatedCount']),
  'coordination.k8s.io/Lease': object(['spec'], { spec: { fields: ['holderIdentity', 'leaseDurationSeconds', 'acquireTime', 'renewTime', 'leaseTransitions', 'strategy', 'preferredHolder'] } }),
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': object(['webhooks']),
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': object(['webhooks']),
  'apiextensions.k8s.io/CustomResourceDefinition': object(['spec', 'status']),
  '/Service': object(['spec', 'status'], { spec: SERVICE_SPEC }),
  '/Secret': object(['data', 'stringData', 'type', 'immutable']),
  'apps/Deployment': object(['spec', 'status'], { spec: DEPLOYMENT_SPEC }),
  'policy/PodDisruptionBudget': object(['spec', 'status'], {
    spec: { fields: ['minAvailable', 'maxUnavailable', 'selector', 'unhealthyPodEvictionPolicy'], objects: { selector: LABEL_SELECTOR } },
  }),
  'rbac.authorization.k8s.io/ClusterRole': { ...object(['rules', 'aggregationRule']), lists: { rules: POLICY_RULE } },
  'rbac.authorization.k8s.io/Role': { ...object(['rules']), lists: { rules: POLICY_RULE } },
  'rbac.authorization.k8s.io/ClusterRoleBinding': { ...object(['subjects', 'roleRef'], { roleRef: ROLE_REF }), lists: { subjects: SUBJECT } },
  'rbac.authorization.k8s.io/RoleBinding': { ...object(['subjects', 'roleRef'], { roleRef: ROLE_REF }), lists: { subjects: SUBJECT } },
};

function prune(value: JsonObject, shape: Shape, path: string, out: string[]): void {
  const known = new Set(shape.fields);
  for (const key of Object.keys(value)) {
    const at = path ? `${path}.${key}` : key;
    if (!known.has(key)) {
      delete value[key];
      out.push(at);
      continue;
    }
    const sub = shape.objects?.[key];
    const child = value[key];
    if (sub && isObject(child)) prune(child, sub, at, out);
    const items = shape.lists?.[key];
    if (items && Array.isArray(child)) child.forEach((x, i) => isObject(x) && prune(x, items, `${at}[${i}]`, out));
  }
}

/** Removes fields a built-in kind does not declare; returns their paths (`spec.containers[0].foo`). */
export function pruneUnknownBuiltinFields(group: string, kind: string, obj: JsonObject): string[] {
  const shape = SHAPES[`${group}/${kind}`];
  const out: string[] = [];
  if (shape) prune(obj, shape, '', out);
  return out;
}
