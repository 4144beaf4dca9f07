import { pino, destination, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import { serializeError } from './log-serializers.js';
import { formatLogLine } from './log-text.js';

export type { Logger };

export type LogFormat = 'json' | 'text';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text'];

export interface LoggerOptions {
  level?: LevelWithSilent;
  name?: string;
  /** json (default, for log pipelines) or text (for a terminal); LOG_FORMAT sets it too. */
  format?: LogFormat;
  /** Where lines go; stderr by default. */
  stream?: DestinationStream;
}

/** LOG_FORMAT from the environment when it names a format, else undefined. */
export function logFormatFromEnv(): LogFormat | undefined {
  const v = process.env.LOG_FORMAT;
  return v === 'json' || v === 'text' ? v : undefined;
}

/** Writes each JSON record as a text line to `out`. */
function textStream(out: DestinationStream): DestinationStream {
  return { write: (line: string) => out.write(`${formatLogLine(line)}\n`) };
}

/**
 * The one way to make a root logger. Library code never creates its own: it receives a
 * logger and derives children carrying `{controller, key}` or `{component}`.
 * Logs go to stderr so that CLIs can print user-facing lines (endpoints, "sandbox ready") on stdout.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? ((process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'info');
  const format = opts.format ?? logFormatFromEnv() ?? 'json';
  const out = opts.stream ?? destination(2);
  return pino(
    { level, ...(opts.name ? { name: opts.name } : {}), serializers: { err: serializeError } },
    format === 'text' ? textStream(out) : out,
  );
}

/** A logger that drops everything: for unit tests and for library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
