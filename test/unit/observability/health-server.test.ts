import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsRegistry, counter, gauge, histogram } from '../../../src/observability/metrics.js';
import { startHealthServer, type HealthServer } from '../../../src/observability/health-server.js';
import { silentLogger } from '../../../src/observability/logger.js';

describe('metrics registry', () => {
  it('collects default process metrics and shares a family between components', async () => {
    const registry = createMetricsRegistry();
    const a = counter(registry, { name: 'vpcrc_test_total', help: 'x', labelNames: ['name'] });
    const b = counter(registry, { name: 'vpcrc_test_total', help: 'x', labelNames: ['name'] });
    expect(a).toBe(b);
    a.inc({ name: 'one' });
    b.inc({ name: 'two' });
    const text = await registry.metrics();
    expect(text).toContain('vpcrc_test_total{name="one"} 1');
    expect(text).toContain('vpcrc_test_total{name="two"} 1');
    expect(text).toContain('vpcrc_process_cpu_seconds_total');
    expect(() => gauge(registry, { name: 'vpcrc_test_total', help: 'x' })).toThrow(/different type/);
    expect(createMetricsRegistry({ defaultMetrics: false }).getMetricsAsArray()).toHaveLength(0);
    histogram(registry, { name: 'vpcrc_test_seconds', help: 'x' }).observe(0.2);
  });
});

describe('health server', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /metrics, /healthz and /readyz with pluggable checks on an ephemeral port', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    counter(registry, { name: 'vpcrc_demo_total', help: 'demo' }).inc(3);
    server = await startHealthServer({ registry, logger: silentLogger(), host: '127.0.0.1', port: 0 });
    const { url, port } = server.address();
    expect(port).toBeGreaterThan(0);

    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('vpcrc_demo_total 3');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    let synced = false;
    server.addReadinessCheck('informers', () => synced);
    server.addReadinessCheck('boom', () => {
      throw new Error('no leader yet');
    });
    const notReady = await fetch(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    const body = await notReady.text();
    expect(body).toContain('[-]informers not ready');
    expect(body).toContain('[-]boom error: no leader yet');
    synced = true;
    server.removeReadinessCheck('boom');
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toContain('[+]informers ok');
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('reports a taken port as an error', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    server = await startHealthServer({ registry, logger: silentLogger(), host: '127.0.0.1', port: 0 });
    await expect(startHealthServer({ registry, logger: silentLogger(), host: '127.0.0.1', port: server.address().port })).rejects.toThrow(/EADDRINUSE/);
  });
});
