/**
 * What "Compare with…" (client/src/commands/compareWith.ts) shows above the two documents of the
 * diff editor, and the platforms two indexes have in common (to compare one platform's manifests,
 * as `diff --platform` does). Plain functions, apart from VS Code, so that they are tested alone.
 * The lines carry registry text (labels, env values, annotations): each is made one line here.
 */

/** What the header needs of a comparison (protocol.ts CompareResult; common/ files import nothing). */
interface CompareResult {
  readonly leftLabel: string;
  readonly rightLabel: string;
  readonly same: boolean;
  readonly sameBytes: boolean;
  readonly changes: readonly { readonly kind?: string; readonly text: string }[];
  readonly notes: readonly string[];
}

/** How many changes the header lists; the rest are in the output log. */
export const HEADER_CHANGES = 30;

/** One line, no control characters (registry text must not start a line of its own). */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/** The summary in words: `3 changes`, or that the two are the same. */
export function compareHeadline(r: Pick<CompareResult, 'same' | 'sameBytes' | 'changes'>): string {
  if (r.same) return r.sameBytes ? 'the same bytes' : 'the same JSON (the bytes differ)';
  return `${r.changes.length} change${r.changes.length === 1 ? '' : 's'}`;
}

/**
 * The header of both sides of the diff, as `//` comment lines (the documents are shown as JSON
 * with comments): which two, what changed, and the notes. The same lines on both sides, so that
 * the diff marks none of them.
 */
export function compareHeader(r: Pick<CompareResult, 'leftLabel' | 'rightLabel' | 'same' | 'sameBytes' | 'changes' | 'notes'>, max = HEADER_CHANGES): string[] {
  const lines = [`// ${oneLine(`Compare ${r.leftLabel} ↔ ${r.rightLabel}: ${compareHeadline(r)}`)}${r.changes.length ? ' (the list is in the "Manifest Lens" output too)' : ''}`];
  for (const c of r.changes.slice(0, max)) lines.push(`//   ${oneLine(c.text)}`);
  if (r.changes.length > max) lines.push(`//   … ${r.changes.length - max} more in the "Manifest Lens" output`);
  for (const n of r.notes) lines.push(`//   note: ${oneLine(n)}`);
  return lines;
}

/** A platform both indexes list, with each side's entry. */
export interface SharedPlatform {
  /** `os/architecture[/variant]`. */
  readonly platform: string;
  readonly left: string;
  readonly right: string;
}

/** containerd's defaults: an entry without a variant means arm64/v8, arm/v7 (amd64: none). */
const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm64: 'v8', arm: 'v7' };

function platforms(text: string): Map<string, string> | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const manifests = (doc as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) return undefined;
  const out = new Map<string, string>();
  for (const m of manifests as unknown[]) {
    const e = (m && typeof m === 'object' ? m : {}) as Record<string, unknown>;
    const p = (e.platform && typeof e.platform === 'object' ? e.platform : {}) as Record<string, unknown>;
    const str = (v: unknown): string => (typeof v === 'string' ? oneLine(v) : '');
    const [os, arch, digest] = [str(p.os), str(p.architecture), str(e.digest)];
    if (!os || !arch || !/^sha256:[0-9a-f]{64}$/.test(digest) || (os === 'unknown' && arch === 'unknown')) continue;
    const variant = str(p.variant) || DEFAULT_VARIANT[arch] || '';
    const key = [os, arch, variant].filter(Boolean).join('/');
    if (!out.has(key)) out.set(key, digest); // the first matching entry is the one pulled
  }
  return out;
}

/**
 * The platforms two indexes both list (attestation entries left out), in the left one's order;
 * undefined unless both documents are indexes.
 */
export function sharedPlatforms(leftText: string, rightText: string): SharedPlatform[] | undefined {
  const a = platforms(leftText);
  const b = platforms(rightText);
  if (!a || !b) return undefined;
  return [...a].flatMap(([platform, left]) => (b.has(platform) ? [{ platform, left, right: b.get(platform)! }] : []));
}

/** `host/repo:tag` or `host/repo@sha256:…` → `host/repo@<digest>` (a child of an index, in its repository). */
export function childReference(reference: string, digest: string): string {
  const name = reference.replace(/@sha256:[0-9a-f]{64}$/, '').replace(/:[^/:@]+$/, '');
  return `${name}@${digest}`;
}
