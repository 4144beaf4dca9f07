import { describe, expect, it } from 'vitest';
import { Ec2Control, type SimSettings } from '../../../src/sim/ec2/control.js';
import { Throttle } from '../../../src/sim/ec2/throttle.js';

function make(random: () => number = () => 0): { control: Ec2Control; settings: SimSettings } {
  const settings: SimSettings = { timeScale: 1, attachDelayMs: 0, consistencyDelayMs: 0 };
  return { control: new Ec2Control(new Throttle({ base: 'off' }, () => 0), settings, {}, random), settings };
}

describe('Ec2Control', () => {
  it('a counted fault fails exactly N calls, with the EC2 status for its code', () => {
    const { control } = make();
    control.injectFault('AttachNetworkInterface', { code: 'InternalError', count: 2 });
    const first = control.takeFault('AttachNetworkInterface');
    expect(first).toMatchObject({ code: 'InternalError', status: 500 });
    expect(control.takeFault('AttachNetworkInterface')).toBeDefined();
    expect(control.takeFault('AttachNetworkInterface')).toBeUndefined();
    control.injectFault('X', { code: 'RequestLimitExceeded', count: 1 });
    expect(control.takeFault('X')?.status).toBe(503);
    control.injectFault('X', { code: 'InvalidParameterValue', count: 1 });
    expect(control.takeFault('X')?.status).toBe(400);
  });

  it('a rate uses the random source; faults queue; wildcard applies to all', () => {
    let r = 0.7;
    const { control } = make(() => r);
    control.injectFault('A', { code: 'Unavailable', rate: 0.5 });
    expect(control.takeFault('A')).toBeUndefined();
    r = 0.2;
    expect(control.takeFault('A')?.code).toBe('Unavailable');
    control.clearFaults('A');
    expect(control.takeFault('A')).toBeUndefined();
    control.injectFault('*', { code: 'InternalError', count: 1 });
    expect(control.takeFault('Anything')?.code).toBe('InternalError');
    expect(() => control.injectFault('A', { code: 'X', rate: 2 })).toThrow(/rate/);
    expect(() => control.injectFault('A', { code: 'X', count: 0 })).toThrow(/count/);
  });

  it('latency is scaled by the time scale', () => {
    const { control } = make(() => 0.5);
    control.setLatency('A', { ms: 100, jitterMs: 20 });
    expect(control.latencyFor('A')).toBe(110);
    control.setTimeScale(10);
    expect(control.latencyFor('A')).toBe(11);
    expect(control.latencyFor('B')).toBe(0);
    expect(() => control.setTimeScale(0)).toThrow(/positive/);
  });

  it('counters per action', () => {
    const { control } = make();
    control.record('A', 'ok', 3);
    control.record('A', 'throttled', 1);
    control.record('A', 'fault', 9);
    control.record('A', 'error', 2);
    expect(control.counter('A')).toEqual({ calls: 4, ok: 1, throttled: 1, errors: 2, faults: 1, totalLatencyMs: 15, maxLatencyMs: 9 });
    expect(control.counter('B').calls).toBe(0);
  });
});
