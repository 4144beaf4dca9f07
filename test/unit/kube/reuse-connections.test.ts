import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKubeClients, reuseConnections } from '../../../src/kube/client.js';
import { generateServingCert } from '../../../src/sim/kube/tls.js';

// A TLS API server stand-in that counts handshakes: what the controller pays per request when
// client-node opens a new connection for each call.
let server: Server;
let handshakes = 0;
let url = '';
let caPem = '';

beforeAll(async () => {
  const { certPem, keyPem } = generateServingCert();
  caPem = certPem;
  server = createServer({ cert: certPem, key: keyPem, keepAliveTimeout: 30_000 }, (_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [] }));
  });
  server.on('secureConnection', () => handshakes++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, caData: Buffer.from(caPem).toString('base64') }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

async function handshakesFor(core: CoreV1Api, calls: number): Promise<number> {
  const before = handshakes;
  for (let i = 0; i < calls; i++) await core.listNamespace();
  return handshakes - before;
}

describe('reuseConnections', () => {
  it('without it, client-node makes a TLS handshake per request (the cost it removes)', async () => {
    expect(await handshakesFor(kubeConfig().makeApiClient(CoreV1Api), 10)).toBe(10);
  });

  it('shares keep-alive connections across requests and clients of one KubeConfig', async () => {
    const kube = makeKubeClients(kubeConfig());
    const other = kube.kc.makeApiClient(CoreV1Api);
    const n = (await handshakesFor(kube.core, 10)) + (await handshakesFor(other, 10));
    expect(n).toBe(1);
  });

  it('is idempotent and still verifies the server against the kubeconfig CA', async () => {
    const kc = reuseConnections(reuseConnections(kubeConfig()));
    expect(await handshakesFor(kc.makeApiClient(CoreV1Api), 3)).toBe(1);
    const wrongCa = new KubeConfig();
    wrongCa.loadFromOptions({
      clusters: [{ name: 'c', server: url, caData: Buffer.from(generateServingCert().certPem).toString('base64') }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    await expect(reuseConnections(wrongCa).makeApiClient(CoreV1Api).listNamespace()).rejects.toThrow();
  });
});
