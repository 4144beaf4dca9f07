// The logging flag every long-running command shares.
import { Option } from 'commander';
import { LOG_FORMATS, type LogFormat } from '../observability/logger.js';

/** `--log-format json|text`; unset means LOG_FORMAT from the environment, else json. */
export function logFormatOption(): Option {
  return new Option('--log-format <format>', 'json (for log pipelines) or text (for a terminal); default json, or LOG_FORMAT').choices([...LOG_FORMATS]);
}

/** The flag's value as a LogFormat, when it was given. */
export function logFormatOf(flags: { logFormat?: unknown }): LogFormat | undefined {
  return flags.logFormat === 'json' || flags.logFormat === 'text' ? flags.logFormat : undefined;
}
