// The two proxies of the chaos bench (issue 10, item 4), between the controller process and the
// sandbox:
// - Ec2FaultProxy (HTTP): fails a share of EC2 calls WITHOUT forwarding them (500 InternalError),
//   and a share of mutating calls AFTER the local EC2 performed them (the answer is replaced by a
//   500, or the connection is reset): what a caller sees when the network drops an answer.
// - KubeCutter (TCP): forwards bytes to the API server (TLS stays end to end) and cuts every open
//   connection on demand, as a flaky load balancer or an API server restart would.
// Both draw from a seeded generator, so a run is reproducible up to timing.
import { createServer as createHttpServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';

/** mulberry32: small, seeded, good enough for fault dice. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MUTATING = /^(Create|Delete|Associate|Disassociate|Attach|Detach|Modify)/;

export interface FaultCounts {
  calls: number;
  failed: number;
  performedThenFailed: number;
  byAction: Record<string, { failed: number; performedThenFailed: number }>;
}

export class Ec2FaultProxy {
  readonly counts: FaultCounts = { calls: 0, failed: 0, performedThenFailed: 0, byAction: {} };
  /** Off while the run converges at the end. */
  enabled = true;
  private server: Server | undefined;
  private port = 0;

  constructor(
    private readonly target: string,
    private readonly rates: { fail: number; lost: number },
    private readonly random: () => number,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createHttpServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? '?';
    this.counts.calls++;
    const stat = (this.counts.byAction[action] ??= { failed: 0, performedThenFailed: 0 });
    const dice = this.enabled ? this.random() : 1;
    if (dice < this.rates.fail) {
      this.counts.failed++;
      stat.failed++;
      return this.error(res);
    }
    const lose = MUTATING.test(action) && dice < this.rates.fail + this.rates.lost;
    const url = new URL(req.url ?? '/', this.target);
    const up = request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (upRes) => {
      const out: Buffer[] = [];
      upRes.on('data', (d: Buffer) => out.push(d));
      upRes.on('end', () => {
        if (lose) {
          this.counts.performedThenFailed++;
          stat.performedThenFailed++;
          // Half a 500, half a dropped connection: both after EC2 did it.
          if (this.random() < 0.5) return this.error(res);
          res.socket?.destroy();
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        res.end(Buffer.concat(out));
      });
    });
    up.on('error', () => res.socket?.destroy());
    up.end(body);
  }

  private error(res: ServerResponse): void {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InternalError</Code><Message>injected by the chaos proxy</Message></Error></Errors><RequestID>chaos</RequestID></Response>';
    res.writeHead(500, { 'content-type': 'text/xml' });
    res.end(xml);
  }
}

export class KubeCutter {
  cuts = 0;
  private readonly open = new Set<Socket>();
  private server: ReturnType<typeof createNetServer> | undefined;
  private port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  async start(): Promise<void> {
    this.server = createNetServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      this.open.add(client);
      this.open.add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.open.delete(client);
        this.open.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Cut every open connection (watches, keep-alive sockets). */
  cutAll(): void {
    this.cuts++;
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
