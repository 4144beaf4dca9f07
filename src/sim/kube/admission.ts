// Admission webhooks as kube-apiserver calls them: matching rules and selectors, AdmissionReview v1
// over HTTPS verified with the caBundle, JSON patches from mutating hooks, failurePolicy and timeouts.
import { request as httpsRequest } from 'node:https';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { UserInfo } from './auth.js';
import { KubeError, internalError } from './errors.js';
import { parseLabelSelector, type LabelSelector } from './label-selector.js';
import type { JsonObject, KubeObject } from './objects.js';
import { isObject } from './objects.js';
import { applyJsonPatch } from './patch.js';
import type { ResourceDef } from './resources.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: Operation;
  def: ResourceDef;
  subresource: string;
  name: string;
  namespace: string;
  object?: KubeObject;
  oldObject?: KubeObject;
  user: UserInfo;
  dryRun: boolean;
  options?: JsonObject;
  /** Labels of the request's namespace (for namespaceSelector); undefined for cluster-scoped objects. */
  namespaceLabels?: Record<string, string>;
}

export interface Webhook {
  name: string;
  clientConfig: { url?: string; caBundle?: string; service?: { namespace?: string; name?: string; path?: string; port?: number } };
  rules?: { operations?: string[]; apiGroups?: string[]; apiVersions?: string[]; resources?: string[]; scope?: string }[];
  failurePolicy?: 'Fail' | 'Ignore';
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  timeoutSeconds?: number;
  sideEffects?: string;
}

/** Webhook configurations are never themselves subject to webhooks (as on the real server). */
const EXEMPT = new Set(['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']);

const star = (list: string[] | undefined, value: string): boolean => (list ?? []).some((x) => x === '*' || x === value);

function resourceMatches(patterns: string[] | undefined, resource: string, sub: string): boolean {
  return (patterns ?? []).some((p) => {
    if (!sub) return p === '*' || p === resource;
    const [r, s] = p.split('/');
    return p === '*/*' || ((r === '*' || r === resource) && (s === '*' || s === sub));
  });
}

export function ruleMatches(hook: Webhook, a: AdmissionAttributes): boolean {
  const clusterScoped = !a.def.namespaced;
  return (hook.rules ?? []).some(
    (r) =>
      star(r.operations, a.operation) &&
      star(r.apiGroups, a.def.group) &&
      star(r.apiVersions, a.def.version) &&
      resourceMatches(r.resources, a.def.plural, a.subresource) &&
      (r.scope === undefined || r.scope === '*' || (r.scope === 'Cluster' ? clusterScoped : !clusterScoped)),
  );
}

/**
 * Evaluate one of a webhook's selectors. A selector that does not parse fails the request with an
 * internal error, as kube-apiserver's namespace/object matchers do.
 */
function matchesLabelSelector(selector: LabelSelector, labels: Record<string, string>): boolean {
  const parsed = parseLabelSelector(selector);
  if (!parsed.ok) throw internalError(parsed.error);
  return parsed.matches(labels);
}

export function selectorsMatch(hook: Webhook, a: AdmissionAttributes): boolean {
  const nsSel = hook.namespaceSelector ?? {};
  if (a.def.kind === 'Namespace' && a.def.group === '') {
    if (!matchesLabelSelector(nsSel, (a.object ?? a.oldObject)?.metadata.labels ?? {})) return false;
  } else if (a.def.namespaced && !matchesLabelSelector(nsSel, a.namespaceLabels ?? {})) {
    return false;
  }
  const objSel = hook.objectSelector ?? {};
  const labelsOf = (o?: KubeObject): Record<string, string> => o?.metadata.labels ?? {};
  return matchesLabelSelector(objSel, labelsOf(a.object)) || (a.oldObject !== undefined && matchesLabelSelector(objSel, labelsOf(a.oldObject)));
}

/** Where a webhook is called: its URL, or (our choice for a local server) `https://127.0.0.1:<service.port>` + path. */
export function webhookUrl(hook: Webhook): string {
  const cc = hook.clientConfig;
  if (cc.url) return cc.url;
  const svc = cc.service ?? {};
  return `https://127.0.0.1:${svc.port ?? 443}${svc.path ?? ''}`;
}

function optionsKind(op: Operation): string {
  return op === 'CREATE' ? 'CreateOptions' : op === 'UPDATE' ? 'UpdateOptions' : op === 'DELETE' ? 'DeleteOptions' : 'ConnectOptions';
}

function buildReview(a: AdmissionAttributes, uid: string): JsonObject {
  const kind = { group: a.def.group, version: a.def.version, kind: a.def.kind };
  const resource = { group: a.def.group, version: a.def.version, resource: a.def.plural };
  const sub = a.subresource ? { subResource: a.subresource, requestSubResource: a.subresource } : {};
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind,
      resource,
      requestKind: kind,
      requestResource: resource,
      ...sub,
      name: a.name,
      ...(a.namespace ? { namespace: a.namespace } : {}),
      operation: a.operation,
      userInfo: { username: a.user.username, ...(a.user.uid ? { uid: a.user.uid } : {}), groups: a.user.groups },
      object: a.object ?? null,
      oldObject: a.oldObject ?? null,
      dryRun: a.dryRun,
      options: { apiVersion: 'meta.k8s.io/v1', kind: optionsKind(a.operation), ...(a.options ?? {}) },
    },
  };
}

class CallError extends Error {}

function post(url: string, caPem: string | undefined, body: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new CallError(`invalid webhook URL "${url}"`));
      return;
    }
    u.searchParams.set('timeout', `${Math.round(timeoutMs / 1000)}s`);
    const target = u.toString();
    const req = httpsRequest(
      u,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': Buffer.byteLength(body) },
        ...(caPem ? { ca: caPem } : {}),
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
            reject(new CallError(`failed to call webhook: an error on the server ("${text.slice(0, 200)}") has prevented the request from succeeding`));
            return;
          }
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new CallError('received invalid webhook response: the response is not valid JSON'));
          }
        });
        res.on('error', (e) => reject(new CallError(`failed to call webhook: ${e.message}`)));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new CallError(`failed to call webhook: Post "${target}": context deadline exceeded`));
    }, timeoutMs);
    req.on('timeout', () => req.destroy(new CallError(`failed to call webhook: Post "${target}": context deadline exceeded`)));
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e instanceof CallError ? e : new CallError(`failed to call webhook: Post "${target}": ${e.message}`));
    });
    req.end(body);
  });
}

interface HookResponse {
  allowed: boolean;
  status?: { code?: number; message?: string; reason?: string; status?: string };
  patch?: string;
  patchType?: string;
  warnings?: string[];
}

async function call(hook: Webhook, a: AdmissionAttributes): Promise<HookResponse> {
  const uid = randomUUID();
  const timeoutMs = Math.min(Math.max(hook.timeoutSeconds ?? 10, 1), 30) * 1000;
  const ca = hook.clientConfig.caBundle ? Buffer.from(hook.clientConfig.caBundle, 'base64').toString('utf8') : undefined;
  const reply = await post(webhookUrl(hook), ca, JSON.stringify(buildReview(a, uid)), timeoutMs);
  const response = isObject(reply) && isObject(reply.response) ? reply.response : undefined;
  if (!response) throw new CallError('received invalid webhook response: expected response.uid');
  if (response.uid !== uid) throw new CallError(`expected response.uid="${uid}", got "${String(response.uid)}"`);
  if (typeof response.allowed !== 'boolean') throw new CallError('received invalid webhook response: response.allowed is not a boolean');
  return response as unknown as HookResponse;
}

/** `admission webhook "<name>" denied the request: <message>`, with the real server's code rules. */
function denial(hook: Webhook, status: HookResponse['status']): KubeError {
  const deniedBy = `admission webhook "${hook.name}" denied the request`;
  const code = status?.code !== undefined && status.code >= 400 ? status.code : 400;
  const message = status?.message ? `${deniedBy}: ${status.message}` : status?.reason ? `${deniedBy}: ${status.reason}` : `${deniedBy} without explanation`;
  return new KubeError(code, status?.reason ?? '', message);
}

function failed(hook: Webhook, err: unknown): KubeError {
  return internalError(`failed calling webhook "${hook.name}": ${err instanceof Error ? err.message : String(err)}`);
}

export class Admission {
  constructor(
    private readonly hooks: (kind: 'mutating' | 'validating') => Webhook[],
    private readonly logger: Logger,
  ) {}

  private applicable(kind: 'mutating' | 'validating', a: AdmissionAttributes): Webhook[] {
    if (EXEMPT.has(a.def.plural) && a.def.group === 'admissionregistration.k8s.io') return [];
    return this.hooks(kind).filter((h) => ruleMatches(h, a) && selectorsMatch(h, a));
  }

  /** Runs matching mutating webhooks in order; returns the (possibly patched) object and warnings. */
  async mutate(a: AdmissionAttributes, warnings: string[]): Promise<KubeObject | undefined> {
    let obj = a.object;
    for (const hook of this.applicable('mutating', a)) {
      let res: HookResponse;
      try {
        res = await call(hook, { ...a, ...(obj ? { object: obj } : {}) });
      } catch (err) {
        if (hook.failurePolicy === 'Ignore') {
          this.logger.warn({ webhook: hook.name, err: String(err) }, 'webhook call failed, ignored by failurePolicy');
          continue;
        }
        throw failed(hook, err);
      }
      warnings.push(...(res.warnings ?? []));
      if (!res.allowed) throw denial(hook, res.status);
      if (res.patch && obj) {
        if (res.patchType !== undefined && res.patchType !== 'JSONPatch') throw failed(hook, new Error(`unsupported patch type "${res.patchType}"`));
        let ops: unknown;
        try {
          ops = JSON.parse(Buffer.from(res.patch, 'base64').toString('utf8'));
        } catch {
          throw failed(hook, new Error('the patch is not valid base64-encoded JSON'));
        }
        try {
          obj = applyJsonPatch(obj, ops) as KubeObject;
        } catch (err) {
          throw failed(hook, new Error(`JSON patch could not be applied: ${err instanceof Error ? err.message : String(err)}`));
        }
      }
    }
    return obj;
  }

  /** Runs matching validating webhooks in parallel; the first denial (in registration order) wins. */
  async validate(a: AdmissionAttributes, warnings: string[]): Promise<void> {
    const hooks = this.applicable('validating', a);
    const results = await Promise.all(
      hooks.map(async (hook) => {
        try {
          return { hook, res: await call(hook, a) };
        } catch (err) {
          if (hook.failurePolicy === 'Ignore') {
            this.logger.warn({ webhook: hook.name, err: String(err) }, 'webhook call failed, ignored by failurePolicy');
            return { hook };
          }
          return { hook, err: failed(hook, err) };
        }
      }),
    );
    for (const r of results) {
      if ('err' in r && r.err) throw r.err;
      if (r.res) {
        warnings.push(...(r.res.warnings ?? []));
        if (!r.res.allowed) throw denial(r.hook, r.res.status);
      }
    }
  }
}
