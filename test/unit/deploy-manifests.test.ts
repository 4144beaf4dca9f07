/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- rendered manifests are arbitrary YAML */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import {
  CNI_CONFIGMAP_NAME,
  DEFAULT_CONTROLLER_IDENTITIES,
  LEADER_ELECTION_LEASE,
  LEADER_ELECTION_NAMESPACE,
  WEBHOOK_NAME_MUTATE_POD,
  WEBHOOK_NAME_VALIDATE_NODE,
  WEBHOOK_NAME_VALIDATE_POD,
  WEBHOOK_PATH_MUTATE_POD,
  WEBHOOK_PATH_VALIDATE_NODE,
  WEBHOOK_PATH_VALIDATE_POD,
} from '../../src/apis/constants.js';
import { controllerOptionsFromFlags, registerControllerCommand, type ControllerFlags } from '../../src/cli/controller-command.js';

// The install users apply must stay in step with the binary and the contract: a renamed flag, a
// wrong ServiceAccount or a missing RBAC rule would only show up in a real cluster otherwise.
// The tree is rendered with the real `kubectl kustomize`, as users render it.

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

const ROOT = new URL('../../', import.meta.url);
let objs: Obj[];

function render(dir: string): Obj[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { cwd: ROOT, encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJS() as Obj);
}

function one(kind: string, name?: string): Obj {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
}

async function parseControllerArgs(args: string[]): Promise<ControllerFlags> {
  const program = new Command().exitOverride();
  registerControllerCommand(program);
  const controller = program.commands.find((c) => c.name() === 'controller')!;
  let captured: ControllerFlags | undefined;
  controller.exitOverride().action((flags: ControllerFlags) => {
    captured = flags;
  });
  await program.parseAsync(['node', 'vpcrc', ...args]);
  return captured!;
}

/** The container's environment as the kubelet builds it from the rendered ConfigMap. */
function containerEnv(container: any): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    const ref = e.valueFrom?.configMapKeyRef;
    if (ref) env[e.name] = one('ConfigMap', ref.name).data[ref.key];
  }
  return env;
}

beforeAll(() => {
  objs = render('deploy');
});

describe('deploy/ (kubectl kustomize)', () => {
  it('renders the whole default install', () => {
    const kinds = objs.map((o) => o.kind).sort();
    expect(kinds).toEqual(
      [
        'Certificate',
        'ClusterRole',
        'ClusterRoleBinding',
        'ConfigMap',
        'CustomResourceDefinition',
        'CustomResourceDefinition',
        'CustomResourceDefinition',
        'Deployment',
        'Issuer',
        'MutatingWebhookConfiguration',
        'PodDisruptionBudget',
        'Role',
        'RoleBinding',
        'Service',
        'Service',
        'ServiceAccount',
        'ValidatingWebhookConfiguration',
      ].sort(),
    );
    for (const o of objs.filter((x) => ['ServiceAccount', 'Role', 'RoleBinding', 'Deployment', 'Service', 'PodDisruptionBudget', 'ConfigMap', 'Certificate', 'Issuer'].includes(x.kind))) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('kube-system');
    }
  });

  it('runs `vpcrc controller` with flags and settings the binary accepts and validates', async () => {
    const container = one('Deployment').spec.template.spec.containers[0];
    expect(container.args[0]).toBe('controller');
    expect(container.image).toBe('vpc-resource-controller:0.1.0');
    const flags = await parseControllerArgs(container.args);
    const opts = controllerOptionsFromFlags(flags, containerEnv(container));
    expect(opts.settings.clusterName).toBe('my-cluster');
    expect(opts.settings.region).toBe('us-west-2');
  });

  it('rejects a flag the binary does not know (so the test above can fail)', async () => {
    await expect(parseControllerArgs(['controller', '--no-such-flag'])).rejects.toThrow(/unknown option/);
  });

  it('runs as the identity the webhooks allow to write the pod-eni annotation', () => {
    const dep = one('Deployment');
    const sa = dep.spec.template.spec.serviceAccountName as string;
    expect(DEFAULT_CONTROLLER_IDENTITIES).toContain(`system:serviceaccount:${dep.metadata.namespace}:${sa}`);
    expect(one('ServiceAccount', sa).metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\//);
  });

  it('caps the V8 heap below the container memory limit, with room for what lives outside the heap', () => {
    const container = one('Deployment').spec.template.spec.containers[0];
    const env = containerEnv(container);
    const flags = (env.NODE_OPTIONS ?? '').split(/\s+/);
    const mib = (flag: string): number => Number(flags.find((f) => f.startsWith(`--${flag}=`))?.split('=')[1]);
    const limit = String(container.resources.limits.memory);
    const limitMiB = limit.endsWith('Gi') ? Number(limit.slice(0, -2)) * 1024 : Number(limit.replace(/Mi$/, ''));
    expect(mib('max-old-space-size')).toBeGreaterThan(0);
    expect(mib('max-semi-space-size')).toBeGreaterThan(0);
    // Old space + 3 semi-spaces (young generation) + ~150 MiB outside the heap (code, buffers, TLS).
    expect(mib('max-old-space-size') + 3 * mib('max-semi-space-size') + 150).toBeLessThanOrEqual(limitMiB);
    expect(env.MALLOC_ARENA_MAX).toBe('2');
  });

  it('has two replicas spread over nodes, a PodDisruptionBudget and a restricted security context', () => {
    const dep = one('Deployment');
    const pod = dep.spec.template.spec;
    expect(dep.spec.replicas).toBe(2);
    expect(dep.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(pod.topologySpreadConstraints.map((c: any) => c.topologyKey)).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    const pdb = one('PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(dep.spec.selector.matchLabels);
    expect(dep.spec.template.metadata.labels).toMatchObject(dep.spec.selector.matchLabels);
  });

  it('exposes the webhook Service the webhook configurations call, with the contract names and paths', () => {
    const svc = one('Service', 'vpc-resource-controller-webhook');
    const port = svc.spec.ports[0];
    const containerPorts = one('Deployment').spec.template.spec.containers[0].ports.map((p: any) => p.name);
    expect(containerPorts).toContain(port.targetPort);
    const hooks = [...one('MutatingWebhookConfiguration').webhooks, ...one('ValidatingWebhookConfiguration').webhooks];
    expect(hooks.map((h: any) => [h.name, h.clientConfig.service.path])).toEqual([
      [WEBHOOK_NAME_MUTATE_POD, WEBHOOK_PATH_MUTATE_POD],
      [WEBHOOK_NAME_VALIDATE_POD, WEBHOOK_PATH_VALIDATE_POD],
      [WEBHOOK_NAME_VALIDATE_NODE, WEBHOOK_PATH_VALIDATE_NODE],
    ]);
    for (const h of hooks) expect(h.clientConfig.service).toMatchObject({ name: svc.metadata.name, namespace: svc.metadata.namespace, port: port.port });
    const metrics = one('Service', 'vpc-resource-controller-metrics');
    expect(containerPorts).toContain(metrics.spec.ports[0].targetPort);
  });

  it('gets the serving certificate from cert-manager by default: the mounted Secret is the Certificate’s', () => {
    const cert = one('Certificate');
    const volume = one('Deployment').spec.template.spec.volumes.find((v: any) => v.name === 'webhook-certs');
    expect(volume.secret.secretName).toBe(cert.spec.secretName);
    expect(cert.spec.dnsNames).toContain('vpc-resource-controller-webhook.kube-system.svc');
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      expect(one(kind).metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe(`kube-system/${cert.metadata.name}`);
    }
  });

  it('grants least privilege: Lease and ConfigMap by name, status only where written (node capacity, policy status), no wildcards', () => {
    const role = one('Role');
    const leaseRules = role.rules.filter((r: any) => r.resources.includes('leases'));
    expect(leaseRules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [LEADER_ELECTION_LEASE], verbs: ['get', 'update'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
    expect(role.metadata.namespace).toBe(LEADER_ELECTION_NAMESPACE);
    expect(role.rules.find((r: any) => r.resources.includes('configmaps')).resourceNames).toEqual([CNI_CONFIGMAP_NAME]);
    const cluster = one('ClusterRole').rules;
    const all = [...cluster, ...role.rules];
    for (const r of all) {
      expect(r.verbs).not.toContain('*');
      expect(r.resources).not.toContain('*');
      expect(r.verbs).not.toContain('delete');
    }
    const subresources = all.flatMap((r: any) => r.resources).filter((x: string) => x.includes('/'));
    expect(subresources.sort()).toEqual(['nodes/status', 'securitygrouppolicies/status']);
    expect(cluster.some((r: any) => r.resources.includes('leases') || r.resources.includes('configmaps') || r.resources.includes('secrets'))).toBe(false);
  });
});

describe('deploy/iam-policy.json', () => {
  const policy = JSON.parse(readFileSync(new URL('deploy/iam-policy.json', ROOT), 'utf8')) as {
    Version: string;
    Statement: { Sid: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string>> }[];
  };
  const actions = (s: (typeof policy.Statement)[number]): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
  const settings = parseYaml(readFileSync(new URL('deploy/kustomization.yaml', ROOT), 'utf8')) as { configMapGenerator: { literals: string[] }[] };
  const literal = (key: string): string => settings.configMapGenerator[0]!.literals.find((l) => l.startsWith(`${key}=`))!.split('=')[1]!;

  it('grants exactly the EC2 actions the controller calls (DeleteTags has no caller)', () => {
    const gateway = readFileSync(new URL('src/aws/gateway.ts', ROOT), 'utf8');
    const called = new Set([...gateway.matchAll(/new (\w+)Command\(/g)].map((m) => `ec2:${m[1]!}`));
    const granted = new Set(policy.Statement.flatMap(actions));
    // The only gateway call with no caller: granting it would be more than least privilege. The
    // day something calls it, this test fails until the policy grants it.
    const callers = (readdirSync(new URL('src', ROOT), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.startsWith('sim/'))
      .filter((f) => readFileSync(new URL(`src/${f}`, ROOT), 'utf8').includes('.deleteTags('));
    expect(callers).toEqual([]);
    called.delete('ec2:DeleteTags');
    // Only with --eni-permission-account-id (docs/deploy.md says to add it for cross-account setups).
    called.delete('ec2:CreateNetworkInterfacePermission');
    expect([...granted].sort()).toEqual([...called].sort());
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('scopes every statement to the region, and ENI writes to ENIs tagged for this cluster', () => {
    const clusterTag = `kubernetes.io/cluster/${literal('cluster-name')}`;
    for (const s of policy.Statement) expect(s.Condition?.StringEquals?.['aws:RequestedRegion'], s.Sid).toBe(literal('region'));
    const onEnis = policy.Statement.filter((s) => [s.Resource].flat().some((r) => r.endsWith(':network-interface/*')));
    expect(onEnis.length).toBeGreaterThan(0);
    for (const s of onEnis) {
      const c = s.Condition!.StringEquals!;
      expect(c[`aws:RequestTag/${clusterTag}`] ?? c[`aws:ResourceTag/${clusterTag}`], s.Sid).toBe('owned');
    }
    // Delete, detach and modify only reach ENIs through the tag-conditioned statement.
    for (const a of ['ec2:DeleteNetworkInterface', 'ec2:CreateNetworkInterface', 'ec2:CreateTags']) {
      for (const s of policy.Statement.filter((x) => actions(x).includes(a))) expect([s.Resource].flat()).not.toContain('*');
    }
  });
});
