/**
 * The image graph (graph/imageGraph.ts) over an OCI image layout on disk instead of a registry,
 * for `tree oci:DIR[:TAG]`: manifests and blobs are read from blobs/ and must hash to their
 * digest; the referrers of a digest are the layout's manifests whose `subject` names it (what
 * `oras copy --to-oci-layout` and `oras attach --oci-layout` write; oras#760), found by walking
 * index.json and the indexes below it. A missing, unreadable or changed blob is a not-found or
 * digest-mismatch error, which the graph reports on the entry that points at it.
 */
import { parseDigest, REGISTERED_ALGORITHMS } from '../engine/digest';
import { LAYOUT_FINDINGS } from '../engine/layoutFindings';
import type { GraphProblem, GraphSource } from '../graph/imageGraph';
// errors and reference, not the registry's index: `inspect oci:` reads blobs here without loading the HTTP client.
import { RegistryError } from '../registry/errors';
import type { ImageReference } from '../registry/reference';
import { closeSync } from 'node:fs';
import { digestOfBytes, HASH_ALGORITHMS, hashFile, HashCancelled } from './hashing';
import { blobPath } from './layout';
import { LayoutReadError, openLayoutFile, readLayoutFile, type OpenLayoutFile } from './readFile';

/** Manifests are never this large; a larger blob read as one is refused. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
/** How deep nested indexes are followed when looking for referrers. */
const MAX_WALK_DEPTH = 8;
/** The most blobs read when looking for referrers (each at most 4 MiB): a hostile index.json lists millions. */
const MAX_WALK_BLOBS = 10_000;

type Json = Record<string, unknown>;

function parseJson(bytes: Uint8Array): Json | undefined {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bytes of blob `digest`, checked against it; a RegistryError the graph understands otherwise.
 * Read through layout/readFile.ts, as every file of a layout: a regular file inside the layout's
 * folder (no symlink out of it, no FIFO, no device), at most `maxBytes` read whatever its size says.
 */
export function readLayoutBlob(root: string, digest: string, maxBytes = MAX_DOCUMENT_BYTES): Buffer {
  const parsed = parseDigest(digest);
  const file = blobPath(root, digest);
  if (!parsed || !file || !HASH_ALGORITHMS.has(parsed.algorithm) || !REGISTERED_ALGORITHMS.get(parsed.algorithm)!.encoded.test(parsed.encoded)) {
    throw new RegistryError('invalid-reference', `${JSON.stringify(digest)} is not a sha256 or sha512 digest that names a blob of the layout`);
  }
  let bytes: Buffer;
  try {
    bytes = readLayoutFile(root, file, maxBytes, maxBytes === MAX_DOCUMENT_BYTES ? 'a manifest or config' : 'a blob read here').bytes;
  } catch (e) {
    if (!(e instanceof LayoutReadError)) throw e;
    if (e.reason === 'missing') throw new RegistryError('not-found', `blob ${digest} is missing from the layout: ${file}`);
    if (e.reason === 'too-large') throw new RegistryError('too-large', `blob ${digest}: ${e.message}`);
    throw new RegistryError('not-found', `blob ${digest} is unreadable: ${e.message}`);
  }
  const actual = digestOfBytes(bytes, parsed.algorithm);
  if (actual !== digest) throw new RegistryError('digest-mismatch', `blob ${digest} does not hash to its name (its bytes hash to ${actual}): ${file}`);
  return bytes;
}

/**
 * The layout's manifests that have a `subject`, as descriptors (what a Referrers API lists), by
 * the subject's digest: one walk of index.json and the indexes below it.
 */
function referrersBySubject(root: string): Map<string, Json[]> {
  const bySubject = new Map<string, Json[]>();
  const seen = new Set<string>();
  const walk = (entries: unknown, depth: number): void => {
    if (!Array.isArray(entries) || depth > MAX_WALK_DEPTH) return;
    for (const e of entries) {
      const d = e && typeof e === 'object' ? (e as Json).digest : undefined;
      if (typeof d !== 'string' || seen.has(d)) continue;
      if (seen.size >= MAX_WALK_BLOBS) return;
      seen.add(d);
      let doc: Json | undefined;
      try {
        doc = parseJson(readLayoutBlob(root, d));
      } catch {
        continue; // a blob that cannot be read is lint's to report, not a referrer
      }
      if (!doc) continue;
      if (Array.isArray(doc.manifests)) walk(doc.manifests, depth + 1);
      const subject = doc.subject && typeof doc.subject === 'object' ? (doc.subject as Json).digest : undefined;
      if (typeof subject !== 'string') continue;
      const config = doc.config && typeof doc.config === 'object' ? (doc.config as Json) : undefined;
      const artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : typeof config?.mediaType === 'string' ? config.mediaType : undefined;
      const entry = e as Json;
      const found = bySubject.get(subject) ?? [];
      bySubject.set(subject, found);
      found.push({
        mediaType: typeof doc.mediaType === 'string' ? doc.mediaType : entry.mediaType,
        digest: d,
        size: typeof entry.size === 'number' ? entry.size : undefined,
        ...(artifactType ? { artifactType } : {}),
        ...(doc.annotations && typeof doc.annotations === 'object' ? { annotations: doc.annotations } : {}),
      });
    }
  };
  let index: Json | undefined;
  try {
    index = parseJson(readLayoutFile(root, 'index.json').bytes);
  } catch {
    return bySubject;
  }
  walk(index?.manifests, 0);
  return bySubject;
}

/**
 * What the layout's blob store says about a config or layer blob, as the errors `lint DIR` gives
 * them (engine/layoutFindings.ts, same rule ids): missing, not a regular file or outside the
 * layout, a size other than the descriptor's, bytes that do not hash to the name. The blob is
 * opened through readFile.ts (inside the layout, a regular file, non-blocking) and hashed
 * streamed in 1 MiB reads off the main thread (hashing.ts, cached by path, size and mtime), only
 * when its size is the descriptor's: a blob of another size is already an error, and a sparse
 * file of any size claimed by a small descriptor is not read. Rejects with HashCancelled when
 * `signal` aborts.
 */
export async function layoutBlobFindings(root: string, digest: string, size: number | undefined, opts: { signal?: AbortSignal; urls?: boolean } = {}): Promise<GraphProblem[]> {
  const parsed = parseDigest(digest);
  if (!parsed || !HASH_ALGORITHMS.has(parsed.algorithm) || !REGISTERED_ALGORITHMS.get(parsed.algorithm)!.encoded.test(parsed.encoded)) return [];
  const rel = ['blobs', parsed.algorithm, parsed.encoded].join('/');
  let file: OpenLayoutFile;
  try {
    file = openLayoutFile(root, rel);
  } catch (err) {
    if (!(err instanceof LayoutReadError)) throw err;
    if (err.reason === 'missing') {
      const why = opts.urls ? 'a non-distributable layer with urls may be fetched from there, but the layout is not self-contained' : 'skopeo, podman and regctl fail on this image';
      return [{ ruleId: LAYOUT_FINDINGS.missing, severity: opts.urls ? 'warning' : 'error', message: `blob ${digest} is missing from the layout: ${rel} does not exist (${why}).` }];
    }
    return [{ ruleId: LAYOUT_FINDINGS.unreadable, severity: 'error', message: `blob ${digest} cannot be read: ${err.message}.` }];
  }
  const { stat, real } = file;
  closeSync(file.fd);
  if (size !== undefined && stat.size !== size) {
    return [{ ruleId: LAYOUT_FINDINGS.sizeMismatch, severity: 'error', message: `blob ${digest} is ${stat.size} bytes on disk, the descriptor says ${size} (a truncated or replaced blob; tools check the size before the digest).` }];
  }
  let actual: string;
  try {
    actual = await hashFile(real, parsed.algorithm, stat, { signal: opts.signal });
  } catch (err) {
    if (err instanceof HashCancelled) throw err;
    const e = err as NodeJS.ErrnoException;
    return [{ ruleId: LAYOUT_FINDINGS.unreadable, severity: 'error', message: `blob ${digest} cannot be read: ${rel}: ${e.code ?? e.message}.` }];
  }
  if (actual === digest) return [];
  return [{ ruleId: LAYOUT_FINDINGS.digestMismatch, severity: 'error', message: `blob ${digest} does not hash to its name: ${rel} hashes to ${actual} (the file was changed or truncated; tools refuse it).` }];
}

/** A source for inspectGraph reading the layout at `root`. */
export function layoutGraphSource(root: string): GraphSource {
  // The layout is walked for referrers once, at the first question, not once per node.
  let referrers: Map<string, Json[]> | undefined;
  return {
    async getManifest(ref: ImageReference) {
      if (!ref.digest) throw new RegistryError('invalid-reference', 'a layout is read by digest');
      const bytes = readLayoutBlob(root, ref.digest);
      const mediaType = parseJson(bytes)?.mediaType;
      // No Content-Type on disk: the document's own mediaType stands for it, and the fetched-only
      // rules (which judge a registry's headers) do not run.
      return { bytes, digest: ref.digest, contentType: undefined, mediaType: typeof mediaType === 'string' ? mediaType : undefined, requests: 0 };
    },
    async getBlob(_ref: ImageReference, digest: string, opts?: { maxBytes?: number }) {
      return { bytes: readLayoutBlob(root, digest, opts?.maxBytes), requests: 0 };
    },
    async getReferrers(_ref: ImageReference, digest: string) {
      referrers ??= referrersBySubject(root);
      const manifests = referrers.get(digest) ?? [];
      const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests };
      return { bytes: Buffer.from(JSON.stringify(index)), fallback: false, via: 'layout' as const, requests: 0 };
    },
    blobFindings(digest: string, size: number | undefined, opts?: { signal?: AbortSignal; urls?: boolean }) {
      return layoutBlobFindings(root, digest, size, opts);
    },
  };
}
