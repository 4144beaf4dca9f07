// Plain string building for EC2's XML responses: this is the hot path of every describe, so no
// DOM and no library, just escaping and concatenation.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const NEEDS_ESCAPE = /[&<>"']/;
const ESCAPE_ALL = /[&<>"']/g;
// Characters XML 1.0 cannot carry at all, even escaped; replaced so a hostile tag value cannot
// produce a document the SDK fails to parse.
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXml(value: string): string {
  const clean = value.replace(INVALID_XML_CHARS, '\uFFFD');
  return NEEDS_ESCAPE.test(clean) ? clean.replace(ESCAPE_ALL, (c) => ESCAPES[c] ?? c) : clean;
}

/** `<name>value</name>`, or nothing when the value is absent. */
export function el(name: string, value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? escapeXml(value) : String(value);
  return `<${name}>${text}</${name}>`;
}

/** A wrapper element around already-rendered children. */
export function wrap(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

/** An EC2 list: `<name><item>…</item>…</name>`; an empty list is still rendered (EC2 does). */
export function list<T>(name: string, items: Iterable<T>, render: (item: T) => string): string {
  let out = `<${name}>`;
  for (const item of items) out += `<item>${render(item)}</item>`;
  return `${out}</${name}>`;
}

export function tagSet(tags: ReadonlyMap<string, string>, name = 'tagSet'): string {
  return list(name, tags, ([k, v]) => el('key', k) + el('value', v));
}

export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export function successBody(action: string, requestId: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_XMLNS}"><requestId>${requestId}</requestId>${inner}</${action}Response>`;
}

export function errorBody(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}
