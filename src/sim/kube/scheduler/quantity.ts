// Kubernetes resource quantities ("100m", "2", "8Gi", "1e3") as integer milli-units, so that
// cpu ("250m") and byte counts ("7910348Ki") compare with plain arithmetic and no float drift.
// Byte counts up to a few PiB still fit in a double exactly after the x1000 scaling.

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Parses a quantity into milli-units (`"1"` → 1000, `"100m"` → 100). Throws on malformed input, naming it. */
export function parseQuantityMilli(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`invalid quantity ${String(value)}`);
    return Math.round(value * 1000);
  }
  const m = QUANTITY.exec(value.trim());
  if (!m) throw new Error(`invalid quantity "${value}"`);
  const num = Number(m[1]);
  const suffix = m[2] ?? '';
  let factor: number;
  if (suffix in BINARY) factor = BINARY[suffix] as number;
  else if (suffix in DECIMAL) factor = DECIMAL[suffix] as number;
  else factor = 10 ** Number(suffix.slice(1)); // exponent form "1e3"
  // Kubernetes rounds fractional milli-values up (a request of 0.1m is 1m).
  return Math.ceil(num * factor * 1000 - 1e-6);
}

/** Like parseQuantityMilli but answers undefined for malformed input (the caller decides how to report it). */
export function tryParseQuantityMilli(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    return parseQuantityMilli(value);
  } catch {
    return undefined;
  }
}
