/**
 * Comparing two manifests (or two indexes): a line diff of their JSON, and what changed in
 * words people check first — media types, layers added, removed or changed, the platforms of an
 * index, and in the image configs the env, labels, entrypoint, cmd, working directory, user,
 * platform and history. Pure: the caller fetches (CLI `diff`; the editor's Compare with…).
 */

/** One side of a comparison, fetched (not the protocol's CompareSide, which names what to fetch). */
export interface ComparedDocument {
  /** How the user named it: a reference or a file. */
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly digest: string;
  /** The parsed image config, when it could be had. */
  readonly config?: unknown;
}

export type ChangeKind =
  | 'media-type'
  | 'artifact-type'
  | 'layer-added'
  | 'layer-removed'
  | 'layer-changed'
  | 'config-descriptor'
  | 'entry-added'
  | 'entry-removed'
  | 'entry-changed'
  | 'config'
  | 'annotations'
  | 'subject';

/** One semantic difference. */
export interface Change {
  readonly kind: ChangeKind;
  readonly text: string;
}

export interface Comparison {
  /** The two documents are the same JSON value (the bytes may still differ: `sameBytes`). */
  readonly same: boolean;
  readonly sameBytes: boolean;
  readonly changes: readonly Change[];
  /** A unified diff of the pretty-printed JSON (empty when the values are equal). */
  readonly diff: string;
}

type Json = Record<string, unknown>;
const utf8 = new TextDecoder('utf-8');

function parse(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
}

function obj(v: unknown): Json | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Key order does not make two JSON values different. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Json)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

function short(digest: string | undefined): string {
  return digest ? digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]{52}$/, '$1…') : '(none)';
}

function show(v: unknown): string {
  return v === undefined ? '(none)' : JSON.stringify(v);
}

interface Descriptor {
  readonly mediaType?: string;
  readonly digest?: string;
  readonly size?: number;
}

function descriptors(v: unknown): Descriptor[] {
  return Array.isArray(v) ? v.map((d) => obj(d) ?? {}).map((d) => ({ mediaType: str(d.mediaType), digest: str(d.digest), size: typeof d.size === 'number' ? d.size : undefined })) : [];
}

function layerChanges(a: Descriptor[], b: Descriptor[]): Change[] {
  const out: Change[] = [];
  const inB = new Set(b.map((l) => l.digest));
  const inA = new Set(a.map((l) => l.digest));
  const described = (l: Descriptor, i: number): string => `layers[${i}] ${short(l.digest)} ${l.size ?? '?'} bytes ${l.mediaType ?? ''}`.trim();
  const paired = new Set<number>();
  // Same position, both digests new to the other side: one layer changed, not one removed and one added.
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x.digest === y.digest) {
      if (x.mediaType !== y.mediaType) out.push({ kind: 'layer-changed', text: `layers[${i}] ${short(x.digest)}: media type ${x.mediaType ?? '(none)'} → ${y.mediaType ?? '(none)'}` });
      paired.add(i);
    } else if (!inB.has(x.digest) && !inA.has(y.digest)) {
      out.push({ kind: 'layer-changed', text: `layers[${i}] changed: ${short(x.digest)} (${x.size ?? '?'} bytes) → ${short(y.digest)} (${y.size ?? '?'} bytes)${x.mediaType !== y.mediaType ? `, ${x.mediaType} → ${y.mediaType}` : ''}` });
      paired.add(i);
    }
  }
  a.forEach((l, i) => { if (!paired.has(i) && !inB.has(l.digest)) out.push({ kind: 'layer-removed', text: `removed ${described(l, i)}` }); });
  b.forEach((l, i) => { if (!paired.has(i) && !inA.has(l.digest)) out.push({ kind: 'layer-added', text: `added ${described(l, i)}` }); });
  return out;
}

function entryKey(e: Json): string {
  const p = obj(e.platform);
  const annotations = obj(e.annotations);
  if (str(annotations?.['vnd.docker.reference.type']) === 'attestation-manifest') return `attestation of ${short(str(annotations?.['vnd.docker.reference.digest']))}`;
  if (p) return [str(p.os), str(p.architecture), str(p.variant)].filter(Boolean).join('/') + (str(p['os.version']) ? ` ${str(p['os.version'])}` : '');
  return str(e.artifactType) ?? str(e.digest) ?? '?';
}

function entryChanges(a: unknown, b: unknown): Change[] {
  const list = (v: unknown): Json[] => (Array.isArray(v) ? v.map((e) => obj(e) ?? {}) : []);
  const byKey = (entries: Json[]): Map<string, Json> => {
    const m = new Map<string, Json>();
    entries.forEach((e, i) => { const k = entryKey(e); m.set(m.has(k) ? `${k} #${i}` : k, e); });
    return m;
  };
  const ma = byKey(list(a));
  const mb = byKey(list(b));
  const out: Change[] = [];
  for (const [k, e] of ma) {
    const f = mb.get(k);
    if (!f) out.push({ kind: 'entry-removed', text: `removed ${k} ${short(str(e.digest))}` });
    else if (str(e.digest) !== str(f.digest) || str(e.mediaType) !== str(f.mediaType)) {
      out.push({ kind: 'entry-changed', text: `${k}: ${short(str(e.digest))} → ${short(str(f.digest))}${str(e.mediaType) !== str(f.mediaType) ? ` (${str(e.mediaType)} → ${str(f.mediaType)})` : ''}` });
    }
  }
  for (const [k, f] of mb) if (!ma.has(k)) out.push({ kind: 'entry-added', text: `added ${k} ${short(str(f.digest))}` });
  return out;
}

function mapChanges(what: string, a: Record<string, unknown>, b: Record<string, unknown>): Change[] {
  const out: Change[] = [];
  for (const k of Object.keys(a)) {
    if (!(k in b)) out.push({ kind: 'config', text: `${what} ${k} removed (was ${show(a[k])})` });
    else if (canonical(a[k]) !== canonical(b[k])) out.push({ kind: 'config', text: `${what} ${k}: ${show(a[k])} → ${show(b[k])}` });
  }
  for (const k of Object.keys(b)) if (!(k in a)) out.push({ kind: 'config', text: `${what} ${k} added: ${show(b[k])}` });
  return out;
}

function envMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const e of v) {
      if (typeof e !== 'string') continue;
      const eq = e.indexOf('=');
      out[eq >= 0 ? e.slice(0, eq) : e] = eq >= 0 ? e.slice(eq + 1) : '';
    }
  }
  return out;
}

const stepCount = (n: number): string => `${n} step${n === 1 ? '' : 's'}`;

/**
 * What changed in the history, in words: steps added at the end or removed from it, the one step
 * that differs, or where the two start to differ (the −/+ lines that follow list the steps).
 * `common`: how many steps from the start are the same.
 */
export function historySummary(a: readonly string[], b: readonly string[], common: number): string {
  if (a.length === b.length) {
    const differ = a.reduce((n, s, i) => n + (s === b[i] ? 0 : 1), 0);
    if (a.length === 1) return 'history: 1 step each, the step differs';
    if (differ === 1) return `history: ${stepCount(a.length)} each, step ${common + 1} differs`;
    return `history: ${stepCount(a.length)} each, ${differ} differ (the first at step ${common + 1})`;
  }
  if (a.length === 0) return `history: none → ${stepCount(b.length)}`;
  if (b.length === 0) return `history: ${stepCount(a.length)} → none`;
  if (common === a.length) return `history: ${stepCount(b.length - a.length)} added at the end (the first ${common} the same)`;
  if (common === b.length) return `history: ${stepCount(a.length - b.length)} removed from the end (the first ${common} the same)`;
  return `history: ${a.length} → ${stepCount(b.length)}, different from step ${common + 1} on`;
}

/** The differences between two image configs that people look for. */
export function configChanges(a: unknown, b: unknown): Change[] {
  const ca = obj(a) ?? {};
  const cb = obj(b) ?? {};
  const ia = obj(ca.config) ?? {};
  const ib = obj(cb.config) ?? {};
  const out: Change[] = [];
  for (const k of ['os', 'architecture', 'variant']) {
    if (canonical(ca[k]) !== canonical(cb[k])) out.push({ kind: 'config', text: `${k}: ${show(ca[k])} → ${show(cb[k])}` });
  }
  out.push(...mapChanges('env', envMap(ia.Env), envMap(ib.Env)));
  out.push(...mapChanges('label', obj(ia.Labels) ?? {}, obj(ib.Labels) ?? {}));
  for (const k of ['Entrypoint', 'Cmd', 'WorkingDir', 'User', 'ExposedPorts', 'Volumes', 'StopSignal']) {
    if (canonical(ia[k]) !== canonical(ib[k])) out.push({ kind: 'config', text: `${k.toLowerCase()}: ${show(ia[k])} → ${show(ib[k])}` });
  }
  const steps = (c: Json): string[] => (Array.isArray(c.history) ? c.history.map((h) => str(obj(h)?.created_by) ?? (obj(h)?.empty_layer ? '(empty layer)' : '(no created_by)')) : []);
  const ha = steps(ca);
  const hb = steps(cb);
  if (canonical(ha) !== canonical(hb)) {
    let common = 0;
    while (common < ha.length && common < hb.length && ha[common] === hb[common]) common++;
    const removed = ha.slice(common);
    const added = hb.slice(common);
    out.push({ kind: 'config', text: historySummary(ha, hb, common) });
    for (const s of removed) out.push({ kind: 'config', text: `history − ${s}` });
    for (const s of added) out.push({ kind: 'config', text: `history + ${s}` });
  }
  return out;
}

/** Compares two manifests or indexes; see {@link Comparison}. */
export function compareManifests(a: ComparedDocument, b: ComparedDocument): Comparison {
  const ja = parse(a.bytes);
  const jb = parse(b.bytes);
  const sameBytes = Buffer.from(a.bytes).equals(Buffer.from(b.bytes));
  const same = sameBytes || (ja !== undefined && jb !== undefined && canonical(ja) === canonical(jb));
  if (same) return { same, sameBytes, changes: [], diff: '' };
  const ma = obj(ja) ?? {};
  const mb = obj(jb) ?? {};
  const changes: Change[] = [];
  if (str(ma.mediaType) !== str(mb.mediaType)) changes.push({ kind: 'media-type', text: `media type: ${str(ma.mediaType) ?? '(none)'} → ${str(mb.mediaType) ?? '(none)'}` });
  if (str(ma.artifactType) !== str(mb.artifactType)) changes.push({ kind: 'artifact-type', text: `artifactType: ${str(ma.artifactType) ?? '(none)'} → ${str(mb.artifactType) ?? '(none)'}` });
  if (Array.isArray(ma.manifests) || Array.isArray(mb.manifests)) changes.push(...entryChanges(ma.manifests, mb.manifests));
  const cfa = obj(ma.config);
  const cfb = obj(mb.config);
  if (cfa || cfb) {
    if (str(cfa?.mediaType) !== str(cfb?.mediaType)) changes.push({ kind: 'config-descriptor', text: `config media type: ${str(cfa?.mediaType) ?? '(none)'} → ${str(cfb?.mediaType) ?? '(none)'}` });
    if (str(cfa?.digest) !== str(cfb?.digest)) changes.push({ kind: 'config-descriptor', text: `config: ${short(str(cfa?.digest))} → ${short(str(cfb?.digest))}` });
  }
  if (Array.isArray(ma.layers) || Array.isArray(mb.layers)) changes.push(...layerChanges(descriptors(ma.layers), descriptors(mb.layers)));
  if (str(cfa?.digest) !== str(cfb?.digest) && a.config !== undefined && b.config !== undefined) changes.push(...configChanges(a.config, b.config));
  if (canonical(ma.annotations) !== canonical(mb.annotations)) changes.push(...mapChanges('annotation', obj(ma.annotations) ?? {}, obj(mb.annotations) ?? {}).map((c) => ({ ...c, kind: 'annotations' as const })));
  if (str(obj(ma.subject)?.digest) !== str(obj(mb.subject)?.digest)) changes.push({ kind: 'subject', text: `subject: ${short(str(obj(ma.subject)?.digest))} → ${short(str(obj(mb.subject)?.digest))}` });
  const text = (j: unknown, bytes: Uint8Array): string => (j !== undefined ? JSON.stringify(j, null, 2) : utf8.decode(bytes));
  return { same, sameBytes, changes, diff: unifiedDiff(text(ja, a.bytes), text(jb, b.bytes), a.label, b.label) };
}

/** Lines above which a line diff is not attempted (the table is lines × lines). */
export const MAX_DIFF_LINES = 4000;

/** A unified diff (3 lines of context) of two texts. */
export function unifiedDiff(a: string, b: string, labelA: string, labelB: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x.length > MAX_DIFF_LINES || y.length > MAX_DIFF_LINES) return `--- ${labelA}\n+++ ${labelB}\n(${x.length} and ${y.length} lines: too long for a line diff)\n`;
  // Longest common subsequence, from the end, so the walk below goes forwards.
  const n = x.length;
  const m = y.length;
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  const ops: { op: ' ' | '-' | '+'; line: string; ai: number; bi: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { ops.push({ op: ' ', line: x[i], ai: i++, bi: j++ }); }
    // Removals before additions, as diff(1) prints them.
    else if (i < n && (j >= m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) { ops.push({ op: '-', line: x[i], ai: i++, bi: j }); }
    else { ops.push({ op: '+', line: y[j], ai: i, bi: j++ }); }
  }
  const out = [`--- ${labelA}`, `+++ ${labelB}`];
  const CONTEXT = 3;
  let k = 0;
  while (k < ops.length) {
    if (ops[k].op === ' ') { k++; continue; }
    let start = Math.max(0, k - CONTEXT);
    let end = k;
    // Extend the hunk while changes are within 2×context of each other.
    for (;;) {
      while (end < ops.length && ops[end].op !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next].op === ' ') next++;
      if (next < ops.length && next - end <= 2 * CONTEXT) { end = next; continue; }
      end = Math.min(ops.length, end + CONTEXT);
      break;
    }
    const hunk = ops.slice(start, end);
    const aLines = hunk.filter((o) => o.op !== '+').length;
    const bLines = hunk.filter((o) => o.op !== '-').length;
    out.push(`@@ -${hunk[0].ai + 1},${aLines} +${hunk[0].bi + 1},${bLines} @@`);
    for (const o of hunk) out.push(o.op + o.line);
    k = end;
    start = end;
  }
  return out.join('\n') + '\n';
}
