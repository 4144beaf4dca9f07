// The local EC2's HTTP front: EC2 Query protocol (POST form body or GET query string), per-action
// throttling, injected faults and latency, counters, and EC2's XML success and error bodies.
// Whatever arrives, the answer is an EC2-shaped response: bad input is a 400, a bug is a 500,
// never a crashed process.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../observability/logger.js';
import { ACTIONS, type ActionContext } from './actions.js';
import type { Ec2Control } from './control.js';
import { Ec2ErrorResponse, internalError, requestLimitExceeded } from './errors.js';
import { parseQuery, type Params } from './query-params.js';
import { bucketKey, type Throttle } from './throttle.js';
import type { World } from './world.js';
import { errorBody, successBody } from './xml.js';

const MAX_BODY_BYTES = 1 << 20;

export interface ServerDeps {
  world: World;
  control: Ec2Control;
  throttle: Throttle;
  logger: Logger;
}

/** Unfiltered and unpaginated: no filter, no ID list, no MaxResults/NextToken. */
export function isUnfilteredUnpaginated(p: Params): boolean {
  for (const k of p.keys()) {
    if (k === 'Action' || k === 'Version' || k === 'DryRun') continue;
    return false;
  }
  return true;
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function createEc2Server(deps: ServerDeps): Server {
  const { world, control, throttle, logger } = deps;
  const ctx: ActionContext = { world, idempotency: new Map() };

  function send(res: ServerResponse, status: number, body: string, requestId: string): void {
    res.writeHead(status, {
      'Content-Type': 'text/xml;charset=UTF-8',
      'Content-Length': Buffer.byteLength(body),
      'x-amzn-requestid': requestId,
    });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const started = performance.now();
    let action = '(none)';
    const fail = (err: Ec2ErrorResponse, outcome: 'throttled' | 'error' | 'fault'): void => {
      if (ACTIONS[action]) control.record(action, outcome, performance.now() - started);
      send(res, err.status, errorBody(err.code, err.message, requestId), requestId);
    };
    let params: Map<string, string>;
    try {
      const rawUrl = req.url ?? '/';
      const q = rawUrl.indexOf('?');
      const query = q >= 0 ? rawUrl.slice(q + 1) : '';
      if (req.method === 'POST') {
        const body = await readBody(req);
        if (body === undefined) throw new Ec2ErrorResponse('InvalidParameterValue', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
        params = parseQuery(body);
        // Parameters may also ride on the URL; the body wins.
        if (query) for (const [k, v] of parseQuery(query)) if (!params.has(k)) params.set(k, v);
      } else if (req.method === 'GET') {
        params = parseQuery(query);
      } else {
        throw new Ec2ErrorResponse('InvalidHttpRequest', `The HTTP method ${req.method ?? ''} is not supported; use POST or GET`, 405);
      }
    } catch (err) {
      fail(err instanceof Ec2ErrorResponse ? err : new Ec2ErrorResponse('MalformedQueryString', 'The request could not be parsed'), 'error');
      return;
    }
    const name = params.get('Action');
    if (name === undefined || name === '') {
      fail(new Ec2ErrorResponse('MissingAction', 'The request must contain the parameter Action'), 'error');
      return;
    }
    const handler = Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
    if (!handler) {
      fail(new Ec2ErrorResponse('InvalidAction', `The action ${name.slice(0, 100)} is not valid for this web service.`), 'error');
      return;
    }
    action = name;
    const key = bucketKey(action, isUnfilteredUnpaginated(params));
    if (!throttle.tryTake(key)) {
      fail(requestLimitExceeded(), 'throttled');
      return;
    }
    const fault = control.takeFault(action);
    const delay = control.latencyFor(action);
    if (delay > 0) await sleep(delay);
    if (fault) {
      fail(fault, 'fault');
      return;
    }
    if (params.get('DryRun') === 'true') {
      // EC2 answers a permitted dry run with this error; there are no permissions to check here.
      fail(new Ec2ErrorResponse('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412), 'error');
      return;
    }
    let inner: string;
    try {
      world.tick();
      inner = handler(ctx, params);
    } catch (err) {
      if (err instanceof Ec2ErrorResponse) {
        fail(err, 'error');
      } else {
        logger.error({ err, action }, 'local EC2 handler failed');
        fail(internalError(), 'error');
      }
      return;
    }
    control.record(action, 'ok', performance.now() - started);
    send(res, 200, successBody(action, requestId, inner), requestId);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'local EC2 request failed');
      if (!res.headersSent) {
        const body = errorBody('InternalError', 'An internal error has occurred', 'unknown');
        res.writeHead(500, { 'Content-Type': 'text/xml;charset=UTF-8' });
        res.end(body);
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}
