// The demo's own reading of the `vpc.amazonaws.com/pod-eni` annotation, as the VPC CNI reads it
// (a JSON array of branch ENI objects; Go's encoding/json matches field names case-insensitively).
// Not the controller's decoder: the demo shows what a consumer of the annotation sees, so a
// controller that writes something unreadable fails here instead of agreeing with itself.

export interface AnnotatedBranch {
  eniId: string;
  vlanId: number;
  privateIp?: string;
}

/** The branch ENIs named by the annotation, or an error saying why it cannot be read. */
export function readPodEniAnnotation(raw: string): { ok: true; value: AnnotatedBranch[] } | { ok: false; error: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  if (!Array.isArray(doc)) return { ok: false, error: 'not a JSON array of branch ENIs' };
  const out: AnnotatedBranch[] = [];
  for (const [i, item] of doc.entries()) {
    if (typeof item !== 'object' || item === null) return { ok: false, error: `[${i}] is not an object` };
    const field = (name: string): unknown => Object.entries(item as Record<string, unknown>).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    const eniId = field('eniId');
    const vlanId = field('vlanId');
    if (typeof eniId !== 'string' || eniId === '') return { ok: false, error: `[${i}].eniId is missing` };
    if (typeof vlanId !== 'number') return { ok: false, error: `[${i}].vlanId is missing` };
    const privateIp = field('privateIp');
    out.push({ eniId, vlanId, ...(typeof privateIp === 'string' && privateIp !== '' ? { privateIp } : {}) });
  }
  return { ok: true, value: out };
}
