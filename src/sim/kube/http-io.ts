// Request/response plumbing for the API server: bounded body reading, JSON/YAML decoding,
// content negotiation (JSON, YAML, Table, PartialObjectMetadata) and Status responses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { KubeError, badRequest, notAcceptable, tooLarge } from './errors.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      reject(tooLarge(`Request entity too large: limit is ${limit}`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(`Request entity too large: limit is ${limit}`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(badRequest(`reading the request body: ${e.message}`));
    });
  });
}

export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);

/** Decodes a JSON or YAML body into a value; 400 with the decoder's complaint when malformed. */
export function decodeBody(body: Buffer, contentType: string): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty: expected a JSON or YAML object');
  if (YAML_TYPES.has(contentType)) {
    try {
      const docs = text.split(/^---\s*$/m).filter((d) => d.trim() !== '');
      if (docs.length > 1) throw badRequest('the YAML body holds more than one document');
      return parseYaml(text) as unknown;
    } catch (err) {
      if (err instanceof KubeError) throw err;
      throw badRequest(`error converting YAML to JSON: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export type Output =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: string }
  | { kind: 'metadata'; version: string };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => {
      const [type, ...rest] = part.split(';');
      const params: Record<string, string> = {};
      for (const p of rest) {
        const [k, v] = p.split('=');
        if (k && v !== undefined) params[k.trim()] = v.trim();
      }
      return { type: (type ?? '').trim().toLowerCase(), params };
    })
    .filter((r) => r.type !== '');
}

/** Picks the first acceptable representation, as kube-apiserver does; 406 when none is. */
export function negotiate(accept: string | undefined, allowTransform: boolean): Output {
  if (!accept) return { kind: 'json' };
  for (const r of parseAccept(accept)) {
    const as = r.params.as;
    if (r.type === 'application/json' || r.type === '*/*' || r.type === 'application/*') {
      if (as === undefined) return { kind: 'json' };
      if (!allowTransform) continue;
      const version = r.params.v ?? 'v1';
      if (r.params.g !== 'meta.k8s.io' || (version !== 'v1' && version !== 'v1beta1')) continue;
      if (as === 'Table') return { kind: 'table', version };
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'metadata', version };
      continue;
    }
    if (YAML_TYPES.has(r.type) && as === undefined) return { kind: 'yaml' };
  }
  throw notAcceptable('only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io');
}

export function sendJson(res: ServerResponse, code: number, body: unknown, output: Output = { kind: 'json' }, warnings: string[] = []): void {
  if (warnings.length) res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  if (output.kind === 'yaml') {
    const text = stringifyYaml(body);
    res.writeHead(code, { 'Content-Type': 'application/yaml', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
    res.end(text);
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

export function sendError(res: ServerResponse, err: KubeError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.code, err.toStatus());
}

/** Writes a string in pieces, waiting for the socket to drain so a huge list does not pile up in memory. */
export async function writeChunks(res: ServerResponse, pieces: Iterable<string>): Promise<void> {
  let batch: string[] = [];
  let size = 0;
  for (const p of pieces) {
    batch.push(p);
    size += p.length;
    if (size >= 1 << 20) {
      const ok = res.write(batch.join(''));
      batch = [];
      size = 0;
      if (!ok && !res.destroyed) await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
      if (res.destroyed) return;
    }
  }
  if (batch.length) res.write(batch.join(''));
}
