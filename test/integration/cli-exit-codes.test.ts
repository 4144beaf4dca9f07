// Exit codes are the same for every command (docs/controller.md): 0 done (help, version),
// 1 runtime failure, 2 usage error (unknown option, bad value, bad settings or limits file).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from './helpers/controller-process.js';

const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, AWS_REGION: '' } });

describe('vpcrc exit codes', () => {
  it.each([
    [['bogus'], 'unknown command'],
    [['controller', '--bogus'], "unknown option '--bogus'"],
    [['controller', '--cluster-name', 'c', '--region', 'nowhere'], '--region'],
    [['controller', '--cluster-name', 'c', '--region', 'us-west-2', '--instance-limits-file', '/nonexistent/limits.yaml'], '--instance-limits-file'],
    [['sandbox', '--bogus'], "unknown option '--bogus'"],
    [['sandbox', '--metrics-address', 'nowhere:99999'], '--metrics-address'],
    [['sandbox', '--config', '/nonexistent/sandbox.yaml'], '/nonexistent/sandbox.yaml'],
    [['sandbox', '--nodes', 'm5.large=zero'], '--nodes'],
    [['sim', 'ec2', '--bogus'], "unknown option '--bogus'"],
  ])('%j is a usage error: exit 2, naming the problem', (args, message) => {
    const r = run(...args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it.each([[['--version']], [['--help']], [['controller', '--help']], [['sandbox', '--help']]])('%j exits 0', (args) => {
    expect(run(...args).status).toBe(0);
  });
});
