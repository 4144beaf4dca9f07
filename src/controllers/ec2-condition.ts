// Can this controller talk to EC2 at all? Every EC2 response (success, or an error EC2 itself
// returned) says yes; a connection failure or missing/rejected credentials says no, with the cause.
// Shown as the `ec2` condition of /readyz and in the startup checks. It does not gate readiness:
// readiness means "answers admission correctly", which needs no EC2 (docs/controller.md).
import type { Ec2Sender } from '../aws/gateway.js';
import { explainEc2Failure, type ExplainedFailure } from './failure-causes.js';

/** Causes that mean "no working connection to EC2", as opposed to EC2 refusing one request. */
const CONNECTION_CAUSES = new Set<ExplainedFailure['cause']>(['ec2-unreachable', 'aws-credentials-missing', 'aws-credentials-rejected']);

export class Ec2Condition {
  private failure: ExplainedFailure | undefined;
  private seen = false;

  /** An EC2 call got an answer. */
  reachable(): void {
    this.seen = true;
    this.failure = undefined;
  }

  /** An EC2 call failed: a connection or credentials failure sets the condition, any answer from EC2 clears it. */
  failed(err: unknown, action?: string): void {
    const f = explainEc2Failure(err, action);
    this.observe(f);
  }

  /** An already explained failure (node side, startup checks). */
  observe(f: ExplainedFailure): void {
    this.seen = true;
    this.failure = CONNECTION_CAUSES.has(f.cause) ? f : undefined;
  }

  /** undefined when fine; otherwise the cause and the fix. */
  problem(): string | undefined {
    if (!this.seen) return undefined;
    return this.failure ? `${this.failure.cause}: ${this.failure.message}` : undefined;
  }

  /** The client, reporting every call's result here. */
  observing(client: Ec2Sender): Ec2Sender {
    return {
      send: async (command: { constructor?: { name?: string } }) => {
        try {
          const out: unknown = await client.send(command);
          this.reachable();
          return out;
        } catch (err) {
          this.failed(err, (command.constructor?.name ?? 'EC2').replace(/Command$/, ''));
          throw err;
        }
      },
    };
  }
}
