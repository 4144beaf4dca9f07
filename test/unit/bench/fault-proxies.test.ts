// The chaos bench's proxies do what the bench counts on: failed calls never reach EC2, lost
// answers come after EC2 did the call, reads are never "performed then failed", and the cutter
// drops open connections.
import { createServer, request } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Ec2FaultProxy, KubeCutter, seeded } from '../../bench/lib/fault-proxies.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function upstream(): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const s = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push(new URLSearchParams(body).get('Action') ?? '');
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end('<ok/>');
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => s.close(() => r())));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, seen };
}

function post(endpoint: string, action: string): Promise<number | 'reset'> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve('reset'));
    req.end(`Action=${action}&Version=2016-11-15`);
  });
}

describe('Ec2FaultProxy', () => {
  it('a failed call is answered 500 and never reaches EC2', async () => {
    const up = await upstream();
    const p = new Ec2FaultProxy(up.url, { fail: 1, lost: 0 }, seeded(1));
    await p.start();
    closers.push(() => p.stop());
    expect(await post(p.endpoint, 'CreateNetworkInterface')).toBe(500);
    expect(up.seen).toEqual([]);
    expect(p.counts).toMatchObject({ calls: 1, failed: 1, performedThenFailed: 0 });
  });

  it('a lost answer comes after EC2 did the call (a 500 or a reset); reads are never lost', async () => {
    const up = await upstream();
    const p = new Ec2FaultProxy(up.url, { fail: 0, lost: 0.999 }, seeded(2));
    await p.start();
    closers.push(() => p.stop());
    const r = await post(p.endpoint, 'AssociateTrunkInterface');
    expect([500, 'reset']).toContain(r);
    expect(up.seen).toEqual(['AssociateTrunkInterface']);
    expect(await post(p.endpoint, 'DescribeNetworkInterfaces')).toBe(200);
    expect(p.counts.performedThenFailed).toBe(1);
  });

  it('disabled, it only forwards', async () => {
    const up = await upstream();
    const p = new Ec2FaultProxy(up.url, { fail: 0.5, lost: 0.4 }, seeded(3));
    p.enabled = false;
    await p.start();
    closers.push(() => p.stop());
    for (let i = 0; i < 5; i++) expect(await post(p.endpoint, 'DeleteNetworkInterface')).toBe(200);
    expect(up.seen).toHaveLength(5);
  });

  it('the same seed gives the same dice', () => {
    const a = seeded(42);
    const b = seeded(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});

describe('KubeCutter', () => {
  it('forwards bytes and cuts open connections', async () => {
    const echo = createNetServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => echo.close(() => r())));
    const cutter = new KubeCutter({ host: '127.0.0.1', port: (echo.address() as { port: number }).port });
    await cutter.start();
    closers.push(() => cutter.stop());
    const c = connect(cutter.address.port, '127.0.0.1');
    const got = await new Promise<string>((resolve) => {
      c.once('data', (d: Buffer) => resolve(d.toString()));
      c.write('ping');
    });
    expect(got).toBe('ping');
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    cutter.cutAll();
    await closed;
    expect(cutter.cuts).toBe(1);
  });
});
