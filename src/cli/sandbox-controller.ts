// The sandbox's ControllerStarter: the real controller with the controller identity's kubeconfig
// and the local EC2. It lives in the CLI room because it is the one place that may see both sides:
// the product (src/controllers) does not know the simulators, and the simulators (src/sim) do not
// import controller code; the sandbox only defines the ControllerStarter shape it calls.
import { defaultPacingConfig } from '../aws/pacing-config.js';
import type { ControllerSettings } from '../controllers/context.js';
import { startController, type StartControllerOptions } from '../controllers/controller.js';
import type { ControllerStarter } from '../sim/sandbox/sandbox.js';

/** Static credentials the sandbox's local EC2 accepts (it does not check signatures). */
const SANDBOX_CREDENTIALS = { accessKeyId: 'AKIASANDBOX', secretAccessKey: 'sandbox' };

export type SandboxControllerExtra = Partial<Omit<StartControllerOptions, 'kubeConfig' | 'settings'>> & { settings?: Partial<ControllerSettings> };

/**
 * A ControllerStarter for the sandbox (it also hands back the RunningController as `controller`,
 * for tests). `extra` adjusts the controller (tests: fast attach polling,
 * webhooks off…).
 */
export function sandboxControllerStarter(extra: SandboxControllerExtra = {}): ControllerStarter {
  return async (env) => {
    const c = await startController({
      health: false,
      webhooks: { selfRegister: true },
      ...extra,
      settings: {
        clusterName: env.clusterName,
        region: env.region,
        vpcId: env.vpcId,
        customNetworking: env.customNetworking,
        ...(env.eniConfigLabelKey ? { eniConfigLabelKey: env.eniConfigLabelKey } : {}),
        ...extra.settings,
      },
      kubeConfig: env.kubeConfig,
      // Pace to the sandbox's clock: at --time-scale X its EC2 refills X times faster.
      ec2: { region: env.region, endpoint: env.ec2Endpoint, credentials: SANDBOX_CREDENTIALS, pacing: { ...defaultPacingConfig(), timeScale: env.timeScale ?? 1 }, ...extra.ec2 },
      logger: extra.logger ?? env.logger,
    });
    return { stop: () => c.stop(), controller: c };
  };
}
