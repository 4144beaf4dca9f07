// Strategies of rbac.authorization.k8s.io/v1 (ClusterRole, Role and their bindings): defaults and
// validation after pkg/apis/rbac/validation. The local server authenticates but does not
// authorize, so RBAC objects are stored and validated, not enforced (and there is no escalation
// check: every sandbox identity may write them).
import type { StatusCause } from './errors.js';
import { fieldCause } from './errors.js';
import type { KubeObject } from './objects.js';
import { deepEqual, isObject, text } from './objects.js';
import type { Strategy } from './strategies.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

function validateRules(role: KubeObject, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const rules = role.rules;
  if (rules === undefined || rules === null) return causes;
  if (!Array.isArray(rules)) return [fieldCause('FieldValueTypeInvalid', 'rules', 'Invalid value: must be a list')];
  rules.forEach((r, i) => {
    const at = `rules[${i}]`;
    if (!isObject(r)) return void causes.push(fieldCause('FieldValueTypeInvalid', at, 'Invalid value: must be an object'));
    const list = (f: string): unknown[] => (Array.isArray(r[f]) ? (r[f] as unknown[]) : []);
    if (list('verbs').length === 0) causes.push(fieldCause('FieldValueRequired', `${at}.verbs`, 'Required value: verbs must contain at least one value'));
    const nonResource = list('nonResourceURLs');
    if (nonResource.length > 0) {
      if (namespaced) causes.push(fieldCause('FieldValueInvalid', `${at}.nonResourceURLs`, `Invalid value: ${JSON.stringify(nonResource)}: namespaced rules cannot apply to non-resource URLs`));
      if (list('apiGroups').length || list('resources').length || list('resourceNames').length) {
        causes.push(fieldCause('FieldValueInvalid', `${at}.nonResourceURLs`, `Invalid value: ${JSON.stringify(nonResource)}: rules cannot apply to both regular resources and non-resource URLs`));
      }
      return;
    }
    if (list('apiGroups').length === 0) causes.push(fieldCause('FieldValueRequired', `${at}.apiGroups`, 'Required value: resource rules must supply at least one api group'));
    if (list('resources').length === 0) causes.push(fieldCause('FieldValueRequired', `${at}.resources`, 'Required value: resource rules must supply at least one resource'));
  });
  return causes;
}

/** User and Group subjects belong to the RBAC group; ServiceAccounts to the core group ("", omitted). */
function defaultSubjects(binding: KubeObject): void {
  for (const s of Array.isArray(binding.subjects) ? binding.subjects : []) {
    if (!isObject(s)) continue;
    if (s.apiGroup === '') delete s.apiGroup;
    if (s.apiGroup === undefined && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}

function validateBinding(binding: KubeObject, old: KubeObject | undefined, clusterScoped: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const ref = binding.roleRef;
  if (!isObject(ref)) causes.push(fieldCause('FieldValueRequired', 'roleRef', 'Required value'));
  else {
    const kinds = clusterScoped ? ['ClusterRole'] : ['ClusterRole', 'Role'];
    if (!kinds.includes(text(ref.kind))) causes.push(fieldCause('FieldValueNotSupported', 'roleRef.kind', `Unsupported value: "${text(ref.kind)}": supported values: ${kinds.map((k) => `"${k}"`).join(', ')}`));
    if (ref.apiGroup !== RBAC_GROUP) causes.push(fieldCause('FieldValueNotSupported', 'roleRef.apiGroup', `Unsupported value: "${text(ref.apiGroup)}": supported values: "${RBAC_GROUP}"`));
    if (typeof ref.name !== 'string' || ref.name === '') causes.push(fieldCause('FieldValueRequired', 'roleRef.name', 'Required value'));
  }
  if (old && !deepEqual(old.roleRef, binding.roleRef)) {
    causes.push(fieldCause('FieldValueInvalid', 'roleRef', `Invalid value: ${JSON.stringify(binding.roleRef)}: cannot change roleRef`));
  }
  const subjects = Array.isArray(binding.subjects) ? binding.subjects : [];
  subjects.forEach((s, i) => {
    const at = `subjects[${i}]`;
    if (!isObject(s)) return void causes.push(fieldCause('FieldValueTypeInvalid', at, 'Invalid value: must be an object'));
    if (typeof s.name !== 'string' || s.name === '') causes.push(fieldCause('FieldValueRequired', `${at}.name`, 'Required value'));
    switch (s.kind) {
      case 'ServiceAccount':
        if (s.apiGroup !== undefined && s.apiGroup !== '') causes.push(fieldCause('FieldValueNotSupported', `${at}.apiGroup`, `Unsupported value: "${text(s.apiGroup)}": supported values: ""`));
        if (clusterScoped && (typeof s.namespace !== 'string' || s.namespace === '')) causes.push(fieldCause('FieldValueRequired', `${at}.namespace`, 'Required value'));
        break;
      case 'User':
      case 'Group':
        if (s.apiGroup !== RBAC_GROUP) causes.push(fieldCause('FieldValueNotSupported', `${at}.apiGroup`, `Unsupported value: "${text(s.apiGroup)}": supported values: "${RBAC_GROUP}"`));
        break;
      default:
        causes.push(fieldCause('FieldValueNotSupported', `${at}.kind`, `Unsupported value: "${text(s.kind)}": supported values: "Group", "ServiceAccount", "User"`));
    }
  });
  return causes;
}

export const RBAC_STRATEGIES: Record<string, Strategy> = {
  ClusterRole: { validate: (r) => validateRules(r, false) },
  Role: { validate: (r) => validateRules(r, true) },
  ClusterRoleBinding: { prepareForCreate: defaultSubjects, prepareForUpdate: defaultSubjects, validate: (b, old) => validateBinding(b, old, true) },
  RoleBinding: { prepareForCreate: defaultSubjects, prepareForUpdate: defaultSubjects, validate: (b, old) => validateBinding(b, old, false) },
};
