// Bench dispatcher: `npm run bench -- <name> [flags]` runs test/bench/<name>.ts (compiled to dist),
// which exports main(argv) and writes its JSON under test/bench/results/. One line per bench.
const benches: Record<string, () => Promise<{ main(argv: string[]): Promise<void> }>> = {
  webhooks: () => import('./webhooks.js'),
  ec2: () => import('./ec2.js'),
  'controller-nodes': () => import('./controller-nodes.js'),
  sandbox: () => import('./sandbox.js'),
  alloc: () => import('./alloc.js'),
  rollout: () => import('./rollout.js'),
  pacing: () => import('./pacing.js'),
  kube: () => import('./kube.js'),
  scale: () => import('./scale.js'),
  chaos: () => import('./chaos.js'),
};

// The AWS SDK's Node-version notice (see silenceSdkNodeVersionNotice in src/aws/ec2-client.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const [name, ...argv] = process.argv.slice(2);
const load = name ? benches[name] : undefined;
if (!load) {
  console.error(`usage: npm run bench -- <name> [flags]; benches: ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
try {
  await (await load()).main(argv);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
