import { ApiException } from '@kubernetes/client-node';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { serializeError } from '../../../src/observability/log-serializers.js';
import { formatLogLine } from '../../../src/observability/log-text.js';
import { createLogger } from '../../../src/observability/logger.js';

/** A logger writing into an array, so tests read exactly what an operator would. */
function capture(format: 'json' | 'text'): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', name: 'test', format, stream: { write: (l: string) => void lines.push(l) } });
  return { lines, logger };
}

const conflictBody = JSON.stringify({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message: 'Operation cannot be fulfilled on pods "web-1": the object has been modified; please apply your changes to the latest version and try again',
  reason: 'Conflict',
  details: { name: 'web-1', kind: 'pods' },
  code: 409,
});

describe('error serializer', () => {
  it('logs a Kubernetes ApiException as its Status, not the escaped body', () => {
    const err = new ApiException(409, 'HTTP-Code: 409 Message: Unknown API Status Code! Body: ' + JSON.stringify(conflictBody), conflictBody, {});
    const { lines, logger } = capture('json');
    logger.warn({ err }, 'patch failed');
    const rec = JSON.parse(lines[0]!) as { err: Record<string, unknown> };
    expect(rec.err).toEqual({
      type: 'KubernetesApiError',
      code: 409,
      reason: 'Conflict',
      message: expect.stringContaining('the object has been modified') as unknown,
      details: { name: 'web-1', kind: 'pods' },
    });
    expect(lines[0]!).not.toContain('\\\\\\"'); // no triple escaping
    expect(lines[0]!.length).toBeLessThan(600);
  });

  it('keeps an ApiException without a Status body readable', () => {
    expect(serializeError(new ApiException(502, 'bad gateway', '<html>proxy</html>', {}))).toEqual({ type: 'KubernetesApiError', code: 502, message: 'HTTP 502' });
  });

  it('logs an EC2 service error by code, HTTP status and request ID, without the raw response', () => {
    const err = new EC2ServiceException({ name: 'InvalidNetworkInterfaceID.NotFound', $fault: 'client', $metadata: { httpStatusCode: 400, requestId: 'req-1', attempts: 1 }, message: "The networkInterface ID 'eni-1' does not exist" });
    Object.assign(err, { Code: 'InvalidNetworkInterfaceID.NotFound', $response: { body: 'x'.repeat(5000) } });
    expect(serializeError(err)).toEqual({
      type: 'InvalidNetworkInterfaceID.NotFound',
      message: "The networkInterface ID 'eni-1' does not exist",
      code: 'InvalidNetworkInterfaceID.NotFound',
      httpStatusCode: 400,
      requestId: 'req-1',
      attempts: 1,
    });
  });

  it('keeps type, message and stack for other errors', () => {
    const s = serializeError(new TypeError('boom')) as { type: string; message: string; stack: string };
    expect(s.type).toBe('TypeError');
    expect(s.message).toBe('boom');
    expect(s.stack).toContain('TypeError: boom');
  });

  it('passes non-objects through', () => {
    expect(serializeError('plain')).toBe('plain');
    expect(serializeError(undefined)).toBeUndefined();
  });
});

describe('text log format', () => {
  it('prints time, level, name, message and the fields as key=value', () => {
    const { lines, logger } = capture('text');
    logger.info({ node: 'ip-10-0-0-1', branches: 3, reason: 'two words' }, 'trunk ready');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[test\] trunk ready node=ip-10-0-0-1 branches=3 reason="two words"\n$/);
  });

  it('renders nested objects as JSON and leaves non-JSON lines alone', () => {
    expect(formatLogLine(JSON.stringify({ level: 50, time: 0, msg: 'x', err: { code: 409 } }))).toBe('00:00:00.000 ERROR x err={"code":409}');
    expect(formatLogLine('not json\n')).toBe('not json');
    expect(formatLogLine('[1,2]')).toBe('[1,2]');
  });

  it('json stays the default and has no duplicate keys', () => {
    const { lines, logger } = capture('json');
    logger.child({ component: 'pod' }).info({ key: 'ns/p' }, 'hello');
    const keys = [...lines[0]!.matchAll(/"(\w+)":/g)].map((m) => m[1]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(JSON.parse(lines[0]!)).toMatchObject({ name: 'test', component: 'pod', key: 'ns/p', msg: 'hello' });
  });
});
