// `--log-format text`: one readable line per log record for people at a terminal. JSON stays the
// default because log pipelines (CloudWatch, Loki, Elasticsearch) parse it.

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Keys that the line's fixed columns already show, or that carry no news per line. */
const SHOWN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v']);

function renderValue(v: unknown): string {
  if (typeof v === 'string') return /[\s="]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

/**
 * One pino JSON record as `HH:MM:SS.mmm LEVEL [name] message key=value …` (UTC time; strings with
 * spaces quoted). A line that is not a JSON object is returned as it is.
 */
export function formatLogLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line.trimEnd();
    rec = parsed as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 23) : '';
  const level = (typeof rec.level === 'number' ? LEVELS[rec.level] : undefined) ?? (typeof rec.level === 'string' ? rec.level : '');
  const name = typeof rec.name === 'string' ? ` [${rec.name}]` : '';
  const fields = Object.entries(rec)
    .filter(([k]) => !SHOWN.has(k))
    .map(([k, v]) => `${k}=${renderValue(v)}`);
  const msg = typeof rec.msg === 'string' ? ` ${rec.msg}` : '';
  return `${time} ${level.padEnd(5)}${name}${msg}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}`;
}
