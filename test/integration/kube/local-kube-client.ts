/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument -- these tests read arbitrary JSON returned by the API server */
// Test helper: raw HTTP calls against the local API server, as a given identity.
import type { LocalKube } from '../../../src/sim/kube/index.js';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export function rawClient(kube: LocalKube, identity: keyof LocalKube['tokens'] = 'admin') {
  return async (method: string, path: string, body?: unknown, contentType = 'application/json', extraHeaders: Record<string, string> = {}): Promise<RawResponse> => {
    const init = {
      method,
      headers: {
        Authorization: `Bearer ${kube.tokens[identity]}`,
        ...(body !== undefined ? { 'Content-Type': contentType } : {}),
        ...extraHeaders,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    };
    // A pooled keep-alive socket may belong to a server that was just restarted: retry once.
    const res = await fetch(`${kube.url}${path}`, init).catch(() => fetch(`${kube.url}${path}`, init));
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
}

/** Reads newline-delimited watch events until `until` says stop or the deadline passes. */
export async function readWatch(kube: LocalKube, path: string, until: (events: any[]) => boolean, timeoutMs = 5000): Promise<any[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const events: any[] = [];
  try {
    const res = await fetch(`${kube.url}${path}`, { headers: { Authorization: `Bearer ${kube.tokens.admin}` }, signal: ac.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) events.push(JSON.parse(line));
      }
      if (until(events)) break;
    }
    ac.abort();
  } catch (err) {
    if (!(err instanceof Error && err.name === 'AbortError')) throw err;
  } finally {
    clearTimeout(timer);
  }
  return events;
}

export function pod(name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }], ...extra } };
}

export const SGP_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'securitygrouppolicies.vpcresources.k8s.aws' },
  spec: {
    group: 'vpcresources.k8s.aws',
    names: { kind: 'SecurityGroupPolicy', plural: 'securitygrouppolicies', singular: 'securitygrouppolicy', shortNames: ['sgp'] },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1beta1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [{ name: 'Security-Group-Ids', type: 'string', jsonPath: '.spec.securityGroups.groupIds' }],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  podSelector: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  mode: { type: 'string', enum: ['strict', 'loose'] },
                  securityGroups: {
                    type: 'object',
                    required: ['groupIds'],
                    properties: {
                      groupIds: { type: 'array', minItems: 1, maxItems: 5, items: { type: 'string', pattern: '^sg-[0-9a-f]{8}([0-9a-f]{9})?$' } },
                    },
                  },
                },
              },
              status: { type: 'object', properties: { ready: { type: 'boolean' } } },
            },
          },
        },
      },
    ],
  },
};
