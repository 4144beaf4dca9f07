import { describe, expect, it } from 'vitest';
import { controllerOptionsFromFlags, parseAddress } from '../../../../src/cli/controller-command.js';

const env = { AWS_REGION: 'us-west-2' } as NodeJS.ProcessEnv;

describe('controllerOptionsFromFlags', () => {
  it('maps flags to settings with the product defaults', () => {
    const o = controllerOptionsFromFlags({ clusterName: 'prod' }, env);
    expect(o.settings).toMatchObject({ clusterName: 'prod', region: 'us-west-2', customNetworking: false, fixTrunkSecurityGroups: false });
    expect(o.health).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(o.leaderElect).toBe(false);
    expect(o.webhooks).toMatchObject({ port: 9443, selfRegister: false });
    expect(o.ec2.endpoint).toBeUndefined();
  });

  it('takes custom networking, the label key, pacing and the endpoint from the environment', () => {
    const o = controllerOptionsFromFlags(
      { clusterName: 'prod', customNetworking: true, eniconfigLabelKey: 'topology.kubernetes.io/zone', ec2Rate: ['CreateNetworkInterface=3'], leaderElect: true, webhooks: false },
      { ...env, AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:4566' },
    );
    expect(o.settings).toMatchObject({ customNetworking: true, eniConfigLabelKey: 'topology.kubernetes.io/zone' });
    expect(o.ec2.endpoint).toBe('http://127.0.0.1:4566');
    expect(o.ec2.pacing?.rates.CreateNetworkInterface).toBe(3);
    expect(o.leaderElect).toEqual({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    expect(o.webhooks).toBe(false);
  });

  it.each([
    [{}, '--cluster-name is required'],
    [{ clusterName: 'bad name' }, '--cluster-name'],
    [{ clusterName: 'c', region: 'nowhere' }, '--region'],
    [{ clusterName: 'c', vpcId: 'vpc-xyz' }, '--vpc-id'],
    [{ clusterName: 'c', eniconfigLabelKey: 'k' }, 'only applies with --custom-networking'],
    [{ clusterName: 'c', securityGroupsPerInterface: '17' }, '--security-groups-per-interface'],
    [{ clusterName: 'c', branchEniCooldown: '10' }, '--branch-eni-cooldown'],
    [{ clusterName: 'c', branchEniMinWarm: '-1' }, '--branch-eni-min-warm: "-1" must be a whole number from 0 to 120'],
    [{ clusterName: 'c', branchEniMinWarmWindow: '0' }, '--branch-eni-min-warm-window: "0" must be a whole number from 1 to 86400'],
    [{ clusterName: 'c', ec2Rate: ['Bogus=1'] }, '--ec2-rate'],
    [{ clusterName: 'c', ec2Endpoint: 'ftp://x' }, 'must be http or https'],
    [{ clusterName: 'c', webhookCertFile: '/c' }, '--webhook-key-file is missing'],
    [{ clusterName: 'c', webhookFailurePolicy: 'Sometimes' }, 'Fail or Ignore'],
    [{ clusterName: 'c', metricsAddress: 'x:99999' }, '--metrics-address'],
    [{ clusterName: 'c', eniPermissionAccountId: '123' }, '12-digit'],
    [{ clusterName: 'c', leaderElectLeaseDuration: '5' }, 'only apply with --leader-elect'],
    [{ clusterName: 'c', leaderElect: true, leaderElectLeaseDuration: 'soon' }, '--leader-elect-lease-duration: "soon"'],
    [{ clusterName: 'c', leaderElect: true, leaderElectLeaseDuration: '5', leaderElectRenewDeadline: '5' }, 'must be shorter than --leader-elect-lease-duration'],
    [{ clusterName: 'c', leaderElect: true, leaderElectRetryPeriod: '10' }, 'must be shorter than --leader-elect-renew-deadline'],
  ])('rejects %j naming the problem', (flags, message) => {
    expect(() => controllerOptionsFromFlags(flags, env)).toThrow(message);
  });

  it('passes the warm minimum and its window', () => {
    const o = controllerOptionsFromFlags({ clusterName: 'prod', branchEniMinWarm: '3', branchEniMinWarmWindow: '300' }, env);
    expect(o.settings).toMatchObject({ branchEniMinWarm: 3, branchEniMinWarmWindowSeconds: 300 });
  });

  it('passes pod-side worker counts and the GC period, rejecting bad values by flag name', () => {
    expect(controllerOptionsFromFlags({ clusterName: 'prod' }, env).podSide).toEqual({});
    const o = controllerOptionsFromFlags({ clusterName: 'prod', podWorkers: '64', releaseWorkers: '4', gcIntervalSeconds: '60' }, env);
    expect(o.podSide).toEqual({ podWorkers: 64, releaseWorkers: 4, gcIntervalMs: 60_000 });
    expect(() => controllerOptionsFromFlags({ clusterName: 'prod', podWorkers: '0' }, env)).toThrow(/--pod-workers: "0" must be a whole number from 1/);
    expect(() => controllerOptionsFromFlags({ clusterName: 'prod', gcIntervalSeconds: 'soon' }, env)).toThrow(/--gc-interval-seconds/);
  });

  it('takes the silent-watch timeout and the relist interval in seconds (0 = off), rejecting bad values by flag name', () => {
    expect(controllerOptionsFromFlags({ clusterName: 'prod' }, env).informers).toEqual({});
    const o = controllerOptionsFromFlags({ clusterName: 'prod', watchStaleTimeout: '90', informerRelistInterval: '0' }, env);
    expect(o.informers).toEqual({ watchStaleMs: 90_000, relistIntervalMs: 0 });
    expect(() => controllerOptionsFromFlags({ clusterName: 'prod', watchStaleTimeout: '-1' }, env)).toThrow(/--watch-stale-timeout/);
    expect(() => controllerOptionsFromFlags({ clusterName: 'prod', informerRelistInterval: 'often' }, env)).toThrow(/--informer-relist-interval/);
  });

  it('takes the lease timings in seconds', () => {
    const o = controllerOptionsFromFlags({ clusterName: 'c', leaderElect: true, leaderElectIdentity: 'a', leaderElectLeaseDuration: '3', leaderElectRenewDeadline: '2', leaderElectRetryPeriod: '0.5' }, env);
    expect(o.leaderElect).toEqual({ identity: 'a', leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 });
  });

  it('requires a region when none is in the environment', () => {
    expect(() => controllerOptionsFromFlags({ clusterName: 'c' }, {})).toThrow('--region is required');
  });
});

describe('parseAddress', () => {
  it.each([
    ['8080', { host: '0.0.0.0', port: 8080 }],
    [':0', { host: '0.0.0.0', port: 0 }],
    ['127.0.0.1:9090', { host: '127.0.0.1', port: 9090 }],
    ['[::1]:9090', { host: '::1', port: 9090 }],
  ])('%s', (raw, want) => {
    expect(parseAddress('--x', raw)).toEqual(want);
  });
});
