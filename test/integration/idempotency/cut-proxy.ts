// A TCP proxy that can be cut: after `cut()` every connection through it is destroyed at once and
// new ones are refused. Put in front of the local EC2 and the local API server, it makes an
// in-process controller look killed to the outside world (kill -9): requests that already reached
// a server are carried out there, their answers never arrive, and nothing the old controller tries
// afterwards (retries, rollbacks, its own shutdown) reaches EC2 or Kubernetes.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface CutProxy {
  /** Same scheme as the target, pointing at the proxy. */
  url: string;
  cut(): void;
  close(): Promise<void>;
}

export async function startCutProxy(target: string): Promise<CutProxy> {
  const t = new URL(target);
  const sockets = new Set<Socket>();
  let isCut = false;
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(t.port), t.hostname);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${t.protocol}//127.0.0.1:${port}`,
    cut() {
      isCut = true;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        isCut = true;
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
