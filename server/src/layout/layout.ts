/**
 * OCI image layouts on disk (image-layout.md), as `skopeo copy … oci:DIR:tag`, `buildah push …
 * oci:DIR`, BuildKit's `type=oci` and `crane pull --format oci` write them: a folder with
 * `oci-layout`, `index.json` and `blobs/<alg>/<encoded>`.
 *
 * `walkLayout` reads the folder: index.json, then every descriptor reachable from it (nested
 * indexes followed), stating each blob, reading and hashing the small JSON ones (manifests,
 * indexes, configs: at most {@link INLINE_BYTES}) and sniffing the first bytes of the others
 * (layers), which are left `pending` for `verifyPending` (streamed, off the main thread in the
 * language server) or `verifyPendingSync` (the CLI). The engine's `layoutFindings` turns the facts into findings
 * on the descriptors.
 *
 * A layout is someone else's data: every file is opened through readFile.ts (inside the layout's
 * folder, a regular file, bounded reads); a blob is parsed and followed only when its bytes hash
 * to its name; and the walk stops at {@link MAX_DESCRIPTORS} descriptors, {@link MAX_DOCUMENTS}
 * documents, {@link MAX_DOCUMENT_BYTES_TOTAL} of JSON and {@link MAX_DEPTH} levels, saying what it
 * left out in `incomplete`.
 */
import { closeSync, existsSync, lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join, dirname, basename, resolve, sep } from 'node:path';
import { analyze, type Analysis, type AnalyzeOptions } from '../engine/analyze';
import { parseDigest, REGISTERED_ALGORITHMS } from '../engine/digest';
import { stringOf, valueOf } from '../engine/json';
import { LAYOUT_FINDINGS, layoutFindings, unreferencedFindings, type BlobContent, type BlobFact } from '../engine/layoutFindings';
import type { Finding } from '../engine/types';
import { cachedDigest, digestOfBytes, HASH_ALGORITHMS, hashFile, hashFileSync, HashCancelled, rememberDigest } from './hashing';
import { kindOf, LayoutReadError, openLayoutFile, readBoundedFd, readHeadFd, readLayoutFile, realPathInLayout, type OpenLayoutFile } from './readFile';

export { MAX_JSON_BYTES, LayoutReadError } from './readFile';

/** JSON blobs up to this size are read whole (and linted); larger ones, and every layer, are streamed. */
export const INLINE_BYTES = 4 * 1024 * 1024;

/** How deep nested indexes are followed. */
export const MAX_DEPTH = 8;

/** The most blobs one walk reads as documents: a guard against a hostile layout. */
export const MAX_DOCUMENTS = 5000;

/** Whether `dir` is the root of an OCI image layout: it holds `oci-layout` and `index.json`. */
export function isLayoutDir(dir: string): boolean {
  try {
    return statSync(join(dir, 'oci-layout')).isFile() && statSync(join(dir, 'index.json')).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether `dir` is meant as an OCI image layout, though it may be a broken one: it holds
 * `oci-layout`, or both `index.json` and `blobs/` (whatever they are: a FIFO or a dangling
 * symlink counts). `lint DIR` checks such a folder as a layout (layout-invalid names what is
 * missing or unreadable) instead of as a folder of JSON files.
 */
export function looksLikeLayout(dir: string): boolean {
  const present = (name: string): boolean => {
    try {
      lstatSync(join(dir, name));
      return true;
    } catch {
      return false;
    }
  };
  return present('oci-layout') || (present('index.json') && present('blobs'));
}

/**
 * Why `dir` cannot be read as an OCI image layout (`inspect oci:`, `tree oci:`), or undefined
 * when it has a regular oci-layout and index.json: what is missing, and what is there but is not
 * a regular file (a FIFO, a folder, a device).
 */
export function layoutDirProblem(dir: string): string | undefined {
  const missing: string[] = [];
  const bad: string[] = [];
  for (const name of ['oci-layout', 'index.json']) {
    let st: Stats;
    try {
      st = statSync(join(dir, name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') missing.push(name);
      else bad.push(`${name} cannot be read (${errText(err)})`);
      continue;
    }
    if (!st.isFile()) bad.push(`${name} is ${kindOf(st)}, not a regular file`);
  }
  if (missing.length === 0 && bad.length === 0) return undefined;
  const parts = [...bad, ...(missing.length > 0 ? [`${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing`] : [])];
  return `is not an OCI image layout (it needs oci-layout and index.json): ${parts.join('; ')}`;
}

/**
 * The layout a file belongs to: its folder for `index.json` and `oci-layout`, three levels up
 * for `blobs/<alg>/<encoded>`. Undefined for any other file.
 */
export function layoutRootOf(file: string): string | undefined {
  const name = basename(file);
  const dir = dirname(file);
  if (name === 'index.json' || name === 'oci-layout') return isLayoutDir(dir) ? dir : undefined;
  if (basename(dirname(dir)) === 'blobs' && HASH_ALGORITHMS.has(basename(dir))) {
    const root = dirname(dirname(dir));
    return isLayoutDir(root) ? root : undefined;
  }
  return undefined;
}

/** A JSON file of the layout that is linted as a document. */
export interface LayoutDocument {
  /** Absolute path. */
  readonly path: string;
  /** Relative to the root: `index.json`, `oci-layout`, `blobs/sha256/<hex>`. */
  readonly rel: string;
  readonly text: string;
  readonly analysis: Analysis;
  /** The blob's digest (undefined for index.json and oci-layout). */
  readonly digest?: string;
}

export interface UnreferencedBlob {
  readonly digest: string;
  readonly path: string;
  readonly size: number;
}

interface PendingBlob {
  readonly digest: string;
  readonly algorithm: string;
  readonly path: string;
  readonly stat: Stats;
}

export interface LayoutSnapshot {
  readonly root: string;
  /** Problems with the layout as a whole (no index.json, unreadable oci-layout…). */
  readonly problems: string[];
  /**
   * What the walk's limits or the folder left unchecked (descriptors past {@link MAX_DESCRIPTORS},
   * JSON blobs past the documents budget, indexes nested too deep, a blobs/ folder that leads out
   * of the layout): reported as `layout-walk-incomplete`, an error by default, since a check that
   * did not run must not pass.
   */
  readonly incomplete: string[];
  readonly documents: LayoutDocument[];
  /** Digest → what the store says; `pending` entries are filled in by verifyPending. */
  readonly facts: Map<string, BlobFact>;
  readonly unreferenced: UnreferencedBlob[];
  /** Large blobs still to hash. */
  readonly pending: PendingBlob[];
  /** Their total size. */
  readonly pendingBytes: number;
}

/** What the first bytes (or the whole text) of a blob say it is. */
export function sniffContent(bytes: Uint8Array, whole: boolean): BlobContent {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return { type: 'archive', format: 'gzip' };
  if (bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) return { type: 'archive', format: 'zstd' };
  if (bytes.length > 262 && Buffer.from(bytes.subarray(257, 262)).toString('latin1') === 'ustar') return { type: 'archive', format: 'tar' };
  if (!whole) return { type: 'other' };
  const text = decode(bytes);
  if (text === undefined) return { type: 'other' };
  const a = analyze(text, { parseOnly: true });
  if (!a.root || a.syntaxErrors.length > 0 || a.kind === 'unknown' || a.kind === 'descriptor' || a.kind === 'oci-layout') return { type: 'other' };
  const mt = stringOf(a.root, 'mediaType');
  return { type: 'document', kind: a.kind, ...(mt !== undefined ? { mediaType: mt } : {}) };
}

function decode(bytes: Uint8Array): string | undefined {
  try {
    const t = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return t.charCodeAt(0) === 0xfeff ? t.slice(1) : t;
  } catch {
    return undefined;
  }
}

const errText = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'EACCES' ? 'permission denied' : e.code ?? (e.message || String(err));
};

/**
 * The most descriptors one walk looks at (each a stat, an open, maybe a read and a hash): a
 * guard against a hostile layout; what is past it is named in {@link LayoutSnapshot.incomplete}.
 */
export const MAX_DESCRIPTORS = 50_000;

/** The most bytes of JSON blobs one walk reads whole (hashed, linted and followed); past it JSON blobs are hashed streamed like layers and not linted. */
export const MAX_DOCUMENT_BYTES_TOTAL = 128 * 1024 * 1024;

/** Overrides of the walk's limits (tests; a caller that wants less). */
export interface WalkLimits {
  /** Default {@link MAX_DESCRIPTORS}. */
  readonly maxDescriptors?: number;
  /** Default {@link MAX_DOCUMENT_BYTES_TOTAL}. */
  readonly maxDocumentBytes?: number;
}

const count = (n: number, one: string, many = one + 's'): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/**
 * Walks the layout at `root` (resolved): index.json, then every descriptor reachable from it, each
 * digest looked at once; a blob is read as a document (linted, and for a manifest or an index
 * followed) only when its bytes hash to its name. Never throws; a problem with the folder itself
 * goes to `problems`, what the limits left out to `incomplete`. `options` are the engine's (rule
 * severities) for the documents it analyzes.
 */
export function walkLayout(rootDir: string, options: AnalyzeOptions = {}, limits: WalkLimits = {}): LayoutSnapshot {
  const steps = walkSteps(rootDir, options, limits);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** How many descriptors (or directory entries) one slice of {@link walkLayoutAsync} looks at. */
const SLICE = 512;

/**
 * {@link walkLayout} in slices: it yields to the event loop (setImmediate) between slices of
 * descriptors, blob reads and directory entries, so a language server answers hovers while a
 * large layout is walked. Resolves to undefined when `signal` aborts (a newer walk took over).
 * One step is not sliced: parsing a large JSON document (index.json) as a whole.
 */
export async function walkLayoutAsync(rootDir: string, options: AnalyzeOptions = {}, signal?: AbortSignal, limits: WalkLimits = {}): Promise<LayoutSnapshot | undefined> {
  const steps = walkSteps(rootDir, options, limits);
  for (;;) {
    if (signal?.aborted) return undefined;
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise<void>((done) => setImmediate(done));
  }
}

/** The walk as a generator: each `yield` is a point where an asynchronous caller may pause. */
function* walkSteps(rootDir: string, options: AnalyzeOptions, limits: WalkLimits): Generator<void, LayoutSnapshot> {
  const root = resolve(rootDir);
  const maxDescriptors = limits.maxDescriptors ?? MAX_DESCRIPTORS;
  const maxDocumentBytes = limits.maxDocumentBytes ?? MAX_DOCUMENT_BYTES_TOTAL;
  const snapshot: LayoutSnapshot = { root, problems: [], incomplete: [], documents: [], facts: new Map(), unreferenced: [], pending: [], pendingBytes: 0 };
  const mutable = snapshot as { pendingBytes: number };

  const readTop = (rel: string): LayoutDocument | undefined => {
    let bytes: Buffer;
    try {
      bytes = readLayoutFile(root, rel).bytes;
    } catch (err) {
      snapshot.problems.push(err instanceof LayoutReadError ? err.message : `${rel} cannot be read (${errText(err)})`);
      return undefined;
    }
    return addDoc(rel, bytes);
  };
  const addDoc = (rel: string, bytes: Uint8Array, digest?: string): LayoutDocument | undefined => {
    const text = decode(bytes);
    if (text === undefined) {
      snapshot.problems.push(`${rel} is not UTF-8 text`);
      return undefined;
    }
    // index.json is read as a layout's (its entries chosen by ref.name): engine rules that depend on it read ctx.context.
    const doc = { path: join(root, rel), rel, text, analysis: analyze(text, rel === 'index.json' ? { ...options, context: 'layout-index' } : options), ...(digest ? { digest } : {}) };
    snapshot.documents.push(doc);
    return doc;
  };

  if (existsSync(join(root, 'oci-layout'))) readTop('oci-layout');
  else snapshot.problems.push('oci-layout is missing: not an OCI image layout');
  yield;
  const index = readTop('index.json');
  if (!index) return snapshot;
  yield;

  // Breadth first from index.json; each digest is looked at once however many point at it.
  const queue: { doc: LayoutDocument; depth: number }[] = [{ doc: index, depth: 0 }];
  let looked = 0;
  let documentBytes = 0;
  let notRead = 0;
  let tooDeep = 0;
  while (queue.length > 0) {
    const { doc, depth } = queue.shift()!;
    const sites = doc.analysis.descriptors;
    for (let i = 0; i < sites.length; i++) {
      const site = sites[i];
      if (i % SLICE === SLICE - 1) yield;
      if (site.role === 'self') continue;
      if (looked >= maxDescriptors) {
        const left = sites.slice(i).filter((x) => x.role !== 'self').length + queue.reduce((n, q) => n + q.doc.analysis.descriptors.filter((x) => x.role !== 'self').length, 0);
        snapshot.incomplete.push(`the layout walk stopped at its limit of ${count(maxDescriptors, 'descriptor')}: ${count(left, 'more descriptor')} (and whatever they point at) were not checked`);
        queue.length = 0;
        break;
      }
      looked++;
      const digest = site.plain?.digest ?? stringOf(site.node, 'digest');
      if (digest === undefined || snapshot.facts.has(digest)) continue;
      const inline = documentBytes < maxDocumentBytes && snapshot.documents.length < MAX_DOCUMENTS;
      const { fact, bytes, stat, real } = examine(root, digest, inline);
      if (!fact) continue;
      snapshot.facts.set(digest, fact);
      if (fact.hash === 'pending' && stat && real) {
        const parsed = parseDigest(digest)!;
        snapshot.pending.push({ digest, algorithm: parsed.algorithm, path: real, stat });
        mutable.pendingBytes += stat.size;
      }
      if (!inline && fact.exists && !fact.unreadable && fact.hash !== 'mismatch' && fact.content === undefined) notRead++;
      const c = fact.content;
      // Only blobs that hash to their name are linted as documents and followed: a blob that
      // fails its hash is reported on its descriptor, never parsed (it is not that blob).
      if (c?.type === 'document' && fact.hash === 'verified' && bytes) {
        documentBytes += bytes.length;
        const child = addDoc(fact.path!, bytes, digest);
        yield;
        if (child && c.kind !== 'config') {
          if (depth + 1 < MAX_DEPTH) queue.push({ doc: child, depth: depth + 1 });
          else tooDeep++;
        }
      }
    }
  }
  if (notRead > 0) {
    snapshot.incomplete.push(`${count(notRead, 'blob')} that may be JSON were hashed but not read as documents: a walk reads at most ${count(MAX_DOCUMENTS, 'document')} and ${maxDocumentBytes % 1048576 === 0 ? `${maxDocumentBytes / 1048576} MiB` : `${maxDocumentBytes} bytes`} of JSON blobs`);
  }
  if (tooDeep > 0) {
    snapshot.incomplete.push(`${count(tooDeep, 'manifest or index', 'manifests or indexes')} nested deeper than ${MAX_DEPTH} levels were not followed`);
  }
  yield* listUnreferenced(root, snapshot);
  return snapshot;
}

interface Examined {
  readonly fact?: BlobFact;
  /** The blob's bytes, when it was read whole (a small JSON blob). */
  readonly bytes?: Buffer;
  /** fstat of the open file and its real path, for hashing it later. */
  readonly stat?: Stats;
  readonly real?: string;
}

/** Stats, reads (when small) and hashes (when small) one blob. Undefined for a digest that names no file (a large blob comes back `pending`, not hashed). */
export function lookAt(root: string, digest: string): BlobFact | undefined {
  return examine(root, digest, true).fact;
}

/**
 * lookAt, keeping what the walk needs: the bytes read (parsed as a document only when they hash
 * to the name) and the open file's stat. `inline` false: nothing is read whole (the walk's budget
 * for documents is spent), the blob is left pending like a layer.
 */
function examine(root: string, digest: string, inline: boolean): Examined {
  const parsed = parseDigest(digest);
  if (!parsed || !HASH_ALGORITHMS.has(parsed.algorithm) || !REGISTERED_ALGORITHMS.get(parsed.algorithm)!.encoded.test(parsed.encoded)) return {};
  const rel = ['blobs', parsed.algorithm, parsed.encoded].join('/');
  let file: OpenLayoutFile;
  try {
    file = openLayoutFile(root, rel);
  } catch (err) {
    if (err instanceof LayoutReadError && err.reason === 'missing') return { fact: { digest, path: rel, exists: false, hash: 'unchecked' } };
    const why = err instanceof LayoutReadError ? err.message.replace(`${rel} `, '').replace(/^is /, '') : errText(err);
    return { fact: { digest, path: rel, exists: true, hash: 'unchecked', unreadable: why } };
  }
  const { fd, stat: st, real } = file;
  try {
    const verdict = (actual: string): Pick<BlobFact, 'hash' | 'actualDigest'> => (actual === digest ? { hash: 'verified' } : { hash: 'mismatch', actualDigest: actual });
    // Only what may be JSON is read whole here; layers (gzip, zstd, tar, anything not starting
    // with "{") are hashed later by verifyPending, off the main thread in the language server.
    const head = readHeadFd(fd, 512);
    // Cached by the real path: a thousand blob names linked to one file are hashed once.
    const cached = cachedDigest(real, st, parsed.algorithm);
    // A blob that does not hash to its name is not that blob: what it holds is not judged.
    if (cached && cached !== digest) return { fact: { digest, path: rel, exists: true, size: st.size, ...verdict(cached) } };
    if (inline && st.size <= INLINE_BYTES && mayBeJson(head)) {
      const bytes = readBoundedFd(fd, INLINE_BYTES);
      if (bytes) {
        const actual = cached ?? digestOfBytes(bytes, parsed.algorithm);
        rememberDigest(real, st, actual);
        if (actual !== digest) return { fact: { digest, path: rel, exists: true, size: st.size, ...verdict(actual) } };
        return { fact: { digest, path: rel, exists: true, size: st.size, hash: 'verified', content: sniffContent(bytes, true) }, bytes };
      }
    }
    const content = sniffContent(head, false);
    const whole = mayBeJson(head) ? undefined : content; // JSON not read whole: what it is stays unknown
    if (cached) return { fact: { digest, path: rel, exists: true, size: st.size, hash: 'verified', ...(whole ? { content: whole } : {}) } };
    return { fact: { digest, path: rel, exists: true, size: st.size, hash: 'pending', ...(whole ? { content: whole } : {}) }, stat: st, real };
  } catch (err) {
    return { fact: { digest, path: rel, exists: true, size: st.size, hash: 'unchecked', unreadable: errText(err) } };
  } finally {
    closeSync(fd);
  }
}

/** Whether the first bytes of a file may start a JSON object (after a BOM and whitespace). */
function mayBeJson(head: Uint8Array): boolean {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  return head[i] === 0x7b || head.length === 0;
}

/** Blob files under blobs/<alg>/ that nothing reachable from index.json points at. */
function* listUnreferenced(root: string, snapshot: LayoutSnapshot): Generator<void, void> {
  const inside = (rel: string): boolean => {
    try {
      realPathInLayout(root, rel);
      return true;
    } catch (err) {
      if (err instanceof LayoutReadError && err.reason === 'outside') snapshot.incomplete.push(`${err.message.replace(/: not followed$/, '')}: what it holds was not listed or read`);
      return false;
    }
  };
  if (!inside('blobs')) return;
  const blobs = join(root, 'blobs');
  let algs: string[];
  try {
    algs = readdirSync(blobs);
  } catch {
    return;
  }
  for (const alg of algs.sort()) {
    if (!inside(`blobs/${alg}`)) continue;
    let names: string[];
    try {
      names = readdirSync(join(blobs, alg));
    } catch {
      continue;
    }
    let seen = 0;
    for (const name of names.sort()) {
      if (++seen % SLICE === 0) yield;
      const digest = `${alg}:${name}`;
      if (snapshot.facts.has(digest)) continue;
      let size = 0;
      try {
        const path = join(blobs, alg, name);
        // A symlink is followed only inside the layout (never stat'ed, listed or sized elsewhere).
        if (lstatSync(path).isSymbolicLink()) realPathInLayout(root, path);
        const st = statSync(path);
        if (!st.isFile()) continue;
        size = st.size;
      } catch {
        continue;
      }
      snapshot.unreferenced.push({ digest, path: `blobs/${alg}/${name}`, size });
    }
  }
}

function settle(snapshot: LayoutSnapshot, p: PendingBlob, actual: string): void {
  const fact = snapshot.facts.get(p.digest)!;
  snapshot.facts.set(p.digest, { ...fact, hash: actual === p.digest ? 'verified' : 'mismatch', ...(actual !== p.digest ? { actualDigest: actual } : {}) });
}

/** Hashes the pending (large) blobs synchronously: the CLI. */
export function verifyPendingSync(snapshot: LayoutSnapshot): void {
  for (const p of snapshot.pending) {
    try {
      settle(snapshot, p, hashFileSync(p.path, p.algorithm, p.stat));
    } catch (err) {
      const fact = snapshot.facts.get(p.digest)!;
      snapshot.facts.set(p.digest, { ...fact, hash: 'unchecked', unreadable: errText(err) });
    }
  }
  snapshot.pending.length = 0;
}

export interface VerifyOptions {
  readonly signal?: AbortSignal;
  /** Bytes hashed so far out of `snapshot.pendingBytes`. */
  readonly onProgress?: (done: number, total: number, current: string) => void;
}

/**
 * Hashes the pending blobs one at a time off the main thread. A cancelled run leaves the rest
 * `pending` (the hover says "not verified yet"); resolves to whether everything was hashed.
 */
export async function verifyPending(snapshot: LayoutSnapshot, options: VerifyOptions = {}): Promise<boolean> {
  let before = 0;
  const total = snapshot.pendingBytes;
  while (snapshot.pending.length > 0) {
    const p = snapshot.pending[0];
    options.onProgress?.(before, total, p.digest);
    try {
      const actual = await hashFile(p.path, p.algorithm, p.stat, {
        signal: options.signal,
        onBytes: (n) => options.onProgress?.(before + n, total, p.digest),
      });
      settle(snapshot, p, actual);
    } catch (err) {
      if (err instanceof HashCancelled) return false;
      const fact = snapshot.facts.get(p.digest)!;
      snapshot.facts.set(p.digest, { ...fact, hash: 'unchecked', unreadable: errText(err) });
    }
    before += p.stat.size;
    snapshot.pending.shift();
  }
  options.onProgress?.(total, total, '');
  return true;
}

/**
 * The findings of one document of the layout: the engine's (from `analysis`, which may be of
 * the editor's text rather than the file's) plus the layout's on its descriptors, and for
 * index.json the unreferenced blobs and the layout's own problems.
 */
export function documentFindings(snapshot: LayoutSnapshot, rel: string, analysis: Analysis): Finding[] {
  const findings = analysis.findings.flatMap((f) => adjustEngineFinding(rel, f) ?? []);
  findings.push(...layoutOnlyFindings(snapshot, rel, analysis));
  return findings.sort((a, b) => a.offset - b.offset);
}

/** Only what the layout adds to a document: its descriptors' blobs, and for index.json the unreferenced blobs and the layout's problems. */
export function layoutOnlyFindings(snapshot: LayoutSnapshot, rel: string, analysis: Analysis): Finding[] {
  const findings = layoutFindings(analysis, (d) => snapshot.facts.get(d));
  if (rel === 'index.json') {
    findings.push(...unreferencedFindings(analysis, snapshot.unreferenced));
    for (const problem of snapshot.problems) {
      if (problem.startsWith('index.json')) continue;
      findings.push({ ruleId: 'layout-invalid', severity: 'error', message: problem, offset: 0, length: Math.min(1, analysis.text.length), fixes: [] });
    }
    for (const what of snapshot.incomplete ?? []) {
      findings.push({ ruleId: LAYOUT_FINDINGS.walkIncomplete, severity: 'error', message: `Not checked: ${what}.`, offset: 0, length: Math.min(1, analysis.text.length), fixes: [] });
    }
  }
  if (rel === 'oci-layout') findings.push(...layoutVersionFindings(analysis));
  return findings;
}

/** The only imageLayoutVersion image-spec defines (image-layout.md, v1.0 and v1.1). */
export const IMAGE_LAYOUT_VERSION = '1.0.0';

/**
 * oci-layout's imageLayoutVersion: missing, not a string or not 1.0.0 is a warning. skopeo 1.9.3
 * does not read it (it copies from such a layout, and writes 1.0.0 over it when it copies into
 * one, as checked by hand); the spec requires it and readers that check it may refuse the folder.
 */
export function layoutVersionFindings(analysis: Analysis): Finding[] {
  const root = analysis.root;
  if (!root || root.type !== 'object' || analysis.syntaxErrors.length > 0) return [];
  const node = valueOf(root, 'imageLayoutVersion');
  const after = 'image-spec requires {"imageLayoutVersion": "1.0.0"}; skopeo 1.9.3 reads the layout anyway (and writes 1.0.0 over it when it copies into the folder), but readers that check the version may refuse it.';
  const at = (n: { offset: number; length: number }, message: string): Finding[] => [{ ruleId: LAYOUT_FINDINGS.version, severity: 'warning', message, offset: n.offset, length: n.length, fixes: [] }];
  if (!node) return at({ offset: root.offset, length: Math.min(1, root.length) }, `oci-layout has no imageLayoutVersion: ${after}`);
  if (node.type !== 'string') return at(node, `imageLayoutVersion is a ${node.type}, not the string "1.0.0": ${after}`);
  if (node.value !== IMAGE_LAYOUT_VERSION) return at(node, `imageLayoutVersion is ${JSON.stringify(String(node.value).slice(0, 40))}, not "1.0.0", the only version image-spec defines: ${after}`);
  return [];
}

/**
 * The engine's findings, adjusted for a layout's index.json: skopeo writes it without a
 * mediaType (image-layout.md: SHOULD) and every layout reader knows what it is, so that is
 * worth info at most; and its entry pointing at an image index is how every tool stores a
 * multi-platform image in a layout, not a nested index anyone trips on. Undefined: drop it.
 */
export function adjustEngineFinding<F extends { ruleId: string; severity: string; message: string }>(rel: string, f: F): F | undefined {
  if (rel !== 'index.json') return f;
  if (f.ruleId === 'index-nested-index') return undefined;
  if (f.ruleId !== 'oci-media-type-missing' || f.severity === 'info' || f.severity === 'hint') return f;
  return { ...f, severity: 'info' as const, message: `${f.message} (In an image layout's index.json this is common: skopeo omits it, and readers know the file is an index.)` };
}

/** `root/blobs/sha256/<hex>` of a digest, whether or not it exists. */
export function blobPath(root: string, digest: string): string | undefined {
  const parsed = parseDigest(digest);
  if (!parsed || !HASH_ALGORITHMS.has(parsed.algorithm)) return undefined;
  return join(root, 'blobs', parsed.algorithm, parsed.encoded);
}

/** The path of a document relative to its layout root, with forward slashes. */
export function relativeToRoot(root: string, file: string): string {
  const r = resolve(file).slice(resolve(root).length + 1);
  return r.split(sep).join('/');
}
