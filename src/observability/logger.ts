import { pino, destination, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent;
  name?: string;
}

/**
 * The one way to make a root logger. Library code never creates its own: it receives a
 * logger and derives children carrying `{controller, key}` or `{component}`.
 * Logs go to stderr so that CLIs can print user-facing lines (endpoints, "sandbox ready") on stdout.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? ((process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'info');
  return pino({ level, ...(opts.name ? { name: opts.name } : {}) }, destination(2));
}

/** A logger that drops everything: for unit tests and for library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
