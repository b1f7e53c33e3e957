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
 */
import { existsSync, readdirSync, readFileSync, statSync, openSync, readSync, closeSync, type Stats } from 'node:fs';
import { join, dirname, basename, resolve, sep } from 'node:path';
import { analyze, type Analysis, type AnalyzeOptions } from '../engine/analyze';
import { parseDigest, REGISTERED_ALGORITHMS } from '../engine/digest';
import { stringOf } from '../engine/json';
import { layoutFindings, unreferencedFindings, type BlobContent, type BlobFact } from '../engine/layoutFindings';
import type { Finding } from '../engine/types';
import { cachedDigest, digestOfBytes, HASH_ALGORITHMS, hashFile, hashFileSync, HashCancelled, rememberDigest } from './hashing';

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

function readHead(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

const errText = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'EACCES' ? 'permission denied' : e.code ?? (e.message || String(err));
};

/**
 * Reads a layout: index.json, every blob reachable from it, and the list of blobs nothing
 * points at. Never throws; a problem with the folder itself goes to `problems`. `options` are
 * the engine's (rule severities) for the documents it analyzes.
 */
export function walkLayout(rootDir: string, options: AnalyzeOptions = {}): LayoutSnapshot {
  const root = resolve(rootDir);
  const snapshot: LayoutSnapshot = { root, problems: [], documents: [], facts: new Map(), unreferenced: [], pending: [], pendingBytes: 0 };
  const mutable = snapshot as { pendingBytes: number };

  const readDoc = (rel: string, digest?: string): LayoutDocument | undefined => {
    const path = join(root, rel);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      snapshot.problems.push(`${rel} cannot be read (${errText(err)})`);
      return undefined;
    }
    const text = decode(bytes);
    if (text === undefined) {
      snapshot.problems.push(`${rel} is not UTF-8 text`);
      return undefined;
    }
    // index.json is read as a layout's (its entries chosen by ref.name): engine rules that depend on it read ctx.context.
    const doc = { path, rel, text, analysis: analyze(text, rel === 'index.json' ? { ...options, context: 'layout-index' } : options), ...(digest ? { digest } : {}) };
    snapshot.documents.push(doc);
    return doc;
  };

  if (existsSync(join(root, 'oci-layout'))) readDoc('oci-layout');
  else snapshot.problems.push('oci-layout is missing: not an OCI image layout');
  const index = readDoc('index.json');
  if (!index) return snapshot;

  // Breadth first from index.json; each digest is looked at once however many point at it.
  const queue: { doc: LayoutDocument; depth: number }[] = [{ doc: index, depth: 0 }];
  while (queue.length > 0) {
    const { doc, depth } = queue.shift()!;
    for (const site of doc.analysis.descriptors) {
      if (site.role === 'self') continue;
      const digest = site.plain?.digest ?? stringOf(site.node, 'digest');
      if (digest === undefined || snapshot.facts.has(digest)) continue;
      const fact = lookAt(root, digest);
      if (!fact) continue;
      snapshot.facts.set(digest, fact);
      if (fact.hash === 'pending') {
        const parsed = parseDigest(digest)!;
        const path = join(root, fact.path!);
        try {
          const stat = statSync(path);
          snapshot.pending.push({ digest, algorithm: parsed.algorithm, path, stat });
          mutable.pendingBytes += stat.size;
        } catch (err) {
          // Gone between two looks: say so rather than throw.
          snapshot.facts.set(digest, { ...fact, hash: 'unchecked', unreadable: errText(err) });
        }
      }
      const c = fact.content;
      // JSON blobs are linted as documents; manifests and indexes are followed.
      if (c?.type === 'document' && snapshot.documents.length < MAX_DOCUMENTS) {
        const child = readDoc(fact.path!, digest);
        const follow = c.kind !== 'config';
        if (child && follow && depth + 1 < MAX_DEPTH) queue.push({ doc: child, depth: depth + 1 });
      }
    }
  }
  listUnreferenced(root, snapshot);
  return snapshot;
}

/** Stats, reads (when small) and hashes (when small) one blob. Undefined for a digest that names no file (a large blob comes back `pending`, not hashed). */
export function lookAt(root: string, digest: string): BlobFact | undefined {
  const parsed = parseDigest(digest);
  if (!parsed || !HASH_ALGORITHMS.has(parsed.algorithm) || !REGISTERED_ALGORITHMS.get(parsed.algorithm)!.encoded.test(parsed.encoded)) return undefined;
  const rel = ['blobs', parsed.algorithm, parsed.encoded].join('/');
  const path = join(root, 'blobs', parsed.algorithm, parsed.encoded);
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return { digest, path: rel, exists: false, hash: 'unchecked' };
    return { digest, path: rel, exists: true, hash: 'unchecked', unreadable: errText(err) };
  }
  if (!st.isFile()) return { digest, path: rel, exists: true, hash: 'unchecked', unreadable: 'not a regular file' };
  try {
    // Only what may be JSON is read whole here; layers (gzip, zstd, tar, anything not starting
    // with "{") are hashed later by verifyPending, off the main thread in the language server.
    const head = readHead(path, 512);
    if (st.size <= INLINE_BYTES && mayBeJson(head)) {
      const bytes = readFileSync(path);
      const actual = cachedDigest(path, st, parsed.algorithm) ?? digestOfBytes(bytes, parsed.algorithm);
      rememberDigest(path, st, actual);
      return { digest, path: rel, exists: true, size: st.size, hash: actual === digest ? 'verified' : 'mismatch', ...(actual !== digest ? { actualDigest: actual } : {}), content: sniffContent(bytes, true) };
    }
    const content = sniffContent(head, false);
    const cached = cachedDigest(path, st, parsed.algorithm);
    if (cached) return { digest, path: rel, exists: true, size: st.size, hash: cached === digest ? 'verified' : 'mismatch', ...(cached !== digest ? { actualDigest: cached } : {}), content };
    return { digest, path: rel, exists: true, size: st.size, hash: 'pending', content };
  } catch (err) {
    return { digest, path: rel, exists: true, size: st.size, hash: 'unchecked', unreadable: errText(err) };
  }
}

/** Whether the first bytes of a file may start a JSON object (after a BOM and whitespace). */
function mayBeJson(head: Uint8Array): boolean {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  return head[i] === 0x7b || head.length === 0;
}

/** Blob files under blobs/<alg>/ that nothing reachable from index.json points at. */
function listUnreferenced(root: string, snapshot: LayoutSnapshot): void {
  const blobs = join(root, 'blobs');
  let algs: string[];
  try {
    algs = readdirSync(blobs);
  } catch {
    return;
  }
  for (const alg of algs.sort()) {
    let names: string[];
    try {
      names = readdirSync(join(blobs, alg));
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const digest = `${alg}:${name}`;
      if (snapshot.facts.has(digest)) continue;
      let size = 0;
      try {
        const st = statSync(join(blobs, alg, name));
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
  }
  return findings;
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
