// `vpcrc sim ec2` in-process: the endpoint line on stdout, a working server, clean stop on a
// signal, and usage errors with exit code 2.
import { EventEmitter } from 'node:events';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerSimEc2Command } from '../../../src/cli/sim-ec2-command.js';

class ExitError extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

function program(signals: EventEmitter): Command {
  const root = new Command().name('vpcrc').exitOverride();
  const sim = root.command('sim').exitOverride();
  registerSimEc2Command(sim, { signals });
  return root;
}

const exits: number[] = [];
const logLevel = process.env.LOG_LEVEL;

afterEach(() => {
  vi.restoreAllMocks();
  exits.length = 0;
  if (logLevel === undefined) delete process.env.LOG_LEVEL;
  else process.env.LOG_LEVEL = logLevel;
});

function mockExit(): void {
  vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
    exits.push(code ?? 0);
    // Usage errors must stop the command; a clean stop (0) just records.
    if (code) throw new ExitError(code);
    return undefined as never;
  }) as typeof process.exit);
}

describe('vpcrc sim ec2', () => {
  it('prints exactly the endpoint line, serves EC2, and exits 0 on SIGTERM', async () => {
    mockExit();
    process.env.LOG_LEVEL = 'silent';
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.join(' '));
    });
    const signals = new EventEmitter();
    await program(signals).parseAsync(['node', 'vpcrc', 'sim', 'ec2', '--port', '0', '--throttle', 'off', '--time-scale', '10']);
    expect(lines).toHaveLength(1);
    const m = /^EC2 endpoint: (http:\/\/127\.0\.0\.1:(\d+))$/.exec(lines[0] ?? '');
    expect(m).not.toBeNull();
    const res = await fetch(`${m?.[1]}/?Action=DescribeSubnets&Version=2016-11-15`);
    expect(res.status).toBe(200);
    expect((await res.text()).match(/<subnetId>/g)).toHaveLength(3);
    signals.emit('SIGTERM');
    const deadline = Date.now() + 3000;
    while (exits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(exits).toEqual([0]);
    await expect(fetch(`${m?.[1]}/?Action=DescribeSubnets`)).rejects.toThrow();
  });

  it.each([
    [['--port', 'abc'], /--port must be an integer/],
    [['--port', '70000'], /--port must be an integer/],
    [['--throttle', 'fast'], /use 'aws' or 'off'/],
    [['--time-scale', '-1'], /positive number/],
    [['--fault', 'Attach'], /Action=Code/],
    [['--latency', 'x=y'], /Action=ms/],
    [['--no-such-flag'], /unknown option/],
  ])('bad flags %j → a clear error and exit code 2', async (args, message) => {
    mockExit();
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    await expect(program(new EventEmitter()).parseAsync(['node', 'vpcrc', 'sim', 'ec2', ...args])).rejects.toThrow(ExitError);
    expect(exits[0]).toBe(2);
    expect(stderr).toMatch(message);
  });
});
