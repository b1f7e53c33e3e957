/**
 * `inspect oci:DIR[:TAG]`: a manifest from an OCI image layout on disk, read the way skopeo's
 * `oci:` transport reads it. TAG matches the `org.opencontainers.image.ref.name` annotation of
 * an index.json entry; without TAG the layout must hold exactly one. The blob's bytes go to
 * stdout unchanged (after checking they hash to its name); `--platform` follows an index to
 * the matching child; `--lint` lints what was read, for an index every child too, with the
 * layout's findings (missing, changed or truncated blobs) on their descriptors.
 *
 * Exit codes as for a registry: 0 read, 1 lint found a finding at --fail-on or worse, 2 usage,
 * 3 the layout cannot give what was asked (no layout, no such tag, missing or corrupt blob, no
 * such platform).
 */
import { join } from 'node:path';
import { LAYOUT_FINDINGS, mediaTypeMismatch } from '../engine/layoutFindings';
import { platformText } from '../engine/platforms';
import { blobPath, layoutDirProblem, sniffContent, verifyPendingSync, walkLayout } from '../layout/layout';
import { readLayoutBlob } from '../layout/graphSource';
import { readLayoutFile } from '../layout/readFile';
import { RegistryError } from '../registry/errors';
import { layoutResults } from './layoutLint';
import { countsText, failExitCode, writeFindings, type LintFileResult } from './lint';
import { indexEntries, MAX_INDEX_DEPTH, noPlatformMessage, selectPlatform } from './indexEntries';
import type { InspectOptions } from './inspectCommand';
import { echoed, echoedList, terminalSafe, terminalSafeDocument } from './terminalText';

const REF_NAME = 'org.opencontainers.image.ref.name';

/** `oci:DIR[:TAG]` → its parts (the first colon after the path separates the tag, as containers/image does on Unix). */
export function parseLayoutReference(reference: string): { dir: string; tag?: string } | undefined {
  if (!reference.startsWith('oci:')) return undefined;
  const rest = reference.slice(4);
  const colon = rest.indexOf(':');
  const dir = colon < 0 ? rest : rest.slice(0, colon);
  const tag = colon < 0 ? undefined : rest.slice(colon + 1);
  return { dir, ...(tag ? { tag } : {}) };
}

interface Read {
  readonly label: string;
  readonly file: string;
  readonly digest: string;
  /** The blob's own mediaType, else the descriptor's. */
  readonly mediaType?: string;
  /** What the descriptor (index.json's entry, an index's entry) says. */
  readonly entryMediaType?: string;
  /** The blob's own `mediaType` field. */
  readonly ownMediaType?: string;
  readonly bytes: Buffer;
}

/** A JSON document's own `mediaType`, when it has a string one. */
function ownMediaType(bytes: Buffer): string | undefined {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    const mt = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>).mediaType : undefined;
    return typeof mt === 'string' ? mt : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the descriptor's mediaType disagrees with the blob (as `lint DIR` judges it:
 * engine/layoutFindings.ts mediaTypeMismatch over what the bytes are); the reason when it does.
 */
export function entryMediaTypeMismatch(entryMediaType: string | undefined, bytes: Buffer): string | undefined {
  return mediaTypeMismatch(entryMediaType, sniffContent(bytes, true));
}

/** What the layout cannot give (no such tag, a missing or changed blob): exit 3. */
export class LayoutError extends Error {}

/** Reads one blob by descriptor, checking it exists, hashes to its name and has the size the descriptor says. */
function readBlob(dir: string, label: string, digest: string, size: number | undefined, mediaType: string | undefined): Read {
  let bytes: Buffer;
  try {
    bytes = readLayoutBlob(dir, digest);
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    throw new LayoutError(`${label}: ${err.message}${err.kind === 'digest-mismatch' ? '; run lint on the layout' : ''}`);
  }
  if (size !== undefined && size !== bytes.length) throw new LayoutError(`${label}: blob ${digest} is ${bytes.length} bytes, the descriptor says ${size}`);
  const own = ownMediaType(bytes);
  return { label, file: blobPath(dir, digest)!, digest, mediaType: own ?? mediaType, entryMediaType: mediaType, ownMediaType: own, bytes };
}

interface IndexJsonEntry { digest?: unknown; size?: unknown; mediaType?: unknown; annotations?: Record<string, unknown> }

/** The entry media types skopeo 1.9.3 / podman 4.3 (containers/image 5.23) resolve a tag to; other entries are skipped. */
const OCI_ENTRY_TYPES: ReadonlySet<unknown> = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json']);

/** A tag or media type from index.json, quoted and cut for a message. */
const quoted = (v: unknown): string => `"${echoed(String(v), 80)}"`;

/**
 * Resolves the reference to the top manifest's descriptor through index.json (read with the
 * layout's limits: a regular file inside the folder, at most 64 MiB). With TAG, as skopeo 1.9.3
 * and podman do: the first entry with that `org.opencontainers.image.ref.name` whose mediaType
 * is an OCI manifest or index; an entry with the tag but another type (a Docker v2s2 manifest
 * written by `skopeo copy --format v2s2`, or no mediaType) is skipped, and when nothing else
 * matches the error names it. Without TAG the only entry, whatever its type (as they do).
 */
export function resolveTag(dir: string, tag: string | undefined, label: string): { digest: string; size?: number; mediaType?: string } {
  let index: { manifests?: unknown };
  try {
    index = JSON.parse(readLayoutFile(dir, 'index.json').bytes.toString('utf8')) as { manifests?: unknown };
  } catch (err) {
    throw new LayoutError(`${label}: index.json cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const entries = (Array.isArray(index?.manifests) ? index.manifests : []) as IndexJsonEntry[];
  const refName = (e: IndexJsonEntry): unknown => (e && typeof e === 'object' && e.annotations && typeof e.annotations === 'object' ? e.annotations[REF_NAME] : undefined);
  const tags = entries.map(refName).filter((t): t is string => typeof t === 'string');
  // The tags are the layout's text: escaped, and at most MAX_ECHOED_ITEMS of them (terminalText.ts).
  const listed = `(tags: ${tags.length ? echoedList(tags) : 'none'})`;
  let entry: IndexJsonEntry | undefined;
  if (tag !== undefined) {
    const named = entries.map((e, position) => ({ e, position })).filter(({ e }) => refName(e) === tag);
    entry = named.find(({ e }) => OCI_ENTRY_TYPES.has(e.mediaType))?.e;
    if (!entry && named.length > 0) {
      const { e, position } = named[0];
      const type = typeof e.mediaType === 'string' ? `media type ${quoted(e.mediaType)}` : 'no mediaType';
      const docker = typeof e.mediaType === 'string' && e.mediaType.startsWith('application/vnd.docker.') ? ', a Docker media type' : '';
      throw new LayoutError(`${label}: index.json has an entry tagged ${quoted(tag)} (manifests[${position}], ${typeof e.digest === 'string' ? quoted(e.digest).slice(1, -1) : 'no digest'}), but it has ${type}${docker}: skopeo 1.9.3 and podman skip entries that are not OCI manifests or indexes (skopeo: no descriptor found for reference ${quoted(tag)}); copy the image again without --format v2s2`);
    }
    if (!entry) throw new LayoutError(`${label}: no image tagged ${quoted(tag)} in index.json ${listed}`);
  } else {
    if (entries.length !== 1) throw new LayoutError(`${label}: index.json lists ${entries.length} images; name one as oci:DIR:TAG ${listed}`);
    entry = entries[0];
  }
  if (!entry || typeof entry !== 'object' || typeof entry.digest !== 'string') throw new LayoutError(`${label}: the index.json entry has no digest`);
  return { digest: entry.digest, size: typeof entry.size === 'number' ? entry.size : undefined, mediaType: typeof entry.mediaType === 'string' ? entry.mediaType : undefined };
}

/** Runs `inspect` on an `oci:` reference; never throws. */
export function runInspectLayout(options: InspectOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const ref = parseLayoutReference(options.reference)!;
  if (!ref.dir) {
    err.write('inspect: oci: needs a folder: oci:DIR[:TAG]\n');
    return 2;
  }
  const notLayout = layoutDirProblem(ref.dir);
  if (notLayout) {
    err.write(`inspect: ${terminalSafe(ref.dir)} ${notLayout}\n`);
    return 3;
  }
  const chain: Read[] = [];
  const children: Read[] = [];
  try {
    let d = resolveTag(ref.dir, ref.tag, options.reference);
    let label = options.reference;
    for (let depth = 0; ; depth++) {
      const doc = readBlob(ref.dir, label, d.digest, d.size, d.mediaType);
      chain.push(doc);
      // The blob's own type: what it is, not what the entry says it is (a mismatch is reported below).
      const type = doc.ownMediaType !== undefined ? echoed(doc.ownMediaType) : d.mediaType !== undefined ? `(no mediaType; the entry says ${echoed(d.mediaType)})` : '(no mediaType)';
      err.write(`${terminalSafe(label)}: ${doc.digest} ${type} ${doc.bytes.length} bytes, verified: the blob file hashes to its digest\n`);
      const entries = indexEntries(doc.bytes);
      if (!options.platform) {
        // --lint on an index: its children too (never layers or configs).
        if (options.lint && entries) {
          for (const e of entries) {
            // A child that cannot be read is a finding of the lint below, on its descriptor.
            try {
              children.push(readBlob(ref.dir, `${label} → ${e.platform ? platformText(e.platform) : `manifests[${e.position}]`}`, e.digest, e.size, e.mediaType));
            } catch (x) {
              if (!(x instanceof LayoutError)) throw x;
            }
          }
        }
        break;
      }
      if (!entries) {
        if (depth === 0) err.write(`${terminalSafe(label)}: not an index; --platform ${platformText(options.platform)} ignored\n`);
        break;
      }
      if (depth >= MAX_INDEX_DEPTH) throw new LayoutError(`gave up after ${MAX_INDEX_DEPTH} nested indexes at ${label}`);
      const match = selectPlatform(entries, options.platform);
      if (!match) throw new LayoutError(noPlatformMessage(label, entries, options.platform));
      err.write(`${terminalSafe(label)}: platform ${platformText(options.platform)} → manifests[${match.position}] ${echoed(match.digest)}\n`);
      label = `${options.reference}@${match.digest}`;
      d = { digest: match.digest, size: match.size, mediaType: match.mediaType };
    }
  } catch (e) {
    err.write(`inspect: ${echoed(e instanceof Error ? e.message : String(e), 1000)}\n`);
    return 3;
  }

  const final = chain[chain.length - 1];
  // Each descriptor followed against the blob it names: a reader picks its parser by the
  // descriptor's type (layout-media-type-mismatch, as `lint DIR` reports it on the entry).
  const mismatches: LintFileResult[] = [];
  chain.forEach((r, i) => {
    const why = entryMediaTypeMismatch(r.entryMediaType, r.bytes);
    if (!why) return;
    const where = i === 0 ? `index.json's entry for ${options.reference}` : `the entry of ${chain[i - 1].label} for ${platformText(options.platform!)}`;
    mismatches.push({
      file: i === 0 ? join(ref.dir, 'index.json') : chain[i - 1].file, kind: i === 0 ? 'oci-index' : 'unknown',
      findings: [{ ruleId: LAYOUT_FINDINGS.mediaTypeMismatch, severity: 'error', message: `${where} (blob ${r.digest}) is ${why}.`, line: 1, column: 1, endLine: 1, endColumn: 1 }],
    });
  });
  let lintResults: LintFileResult[] = [];
  if (options.lint) {
    // MANIFEST_LENS_TEST_LAYOUT_MAX_DESCRIPTORS lowers the walk's descriptor limit, for the tests only.
    const testLimit = Number(process.env.MANIFEST_LENS_TEST_LAYOUT_MAX_DESCRIPTORS);
    const snapshot = walkLayout(ref.dir, {}, Number.isInteger(testLimit) && testLimit > 0 ? { maxDescriptors: testLimit } : undefined);
    verifyPendingSync(snapshot);
    const wanted = [...new Set([...chain, ...children].map((r) => r.file))];
    const all = layoutResults(ref.dir, snapshot);
    lintResults = all.filter((r) => wanted.includes(r.file));
    // index.json is not one of the documents asked for, but its entry for the image is: the
    // layout's findings on that entry (layout-media-type-mismatch) with lint DIR's positions.
    const indexJson = all.find((r) => r.file === join(ref.dir, 'index.json'));
    const onEntry = indexJson?.findings.filter((f) => f.ruleId === LAYOUT_FINDINGS.mediaTypeMismatch && f.message.includes(`(blob ${chain[0].digest})`)) ?? [];
    if (indexJson && onEntry.length > 0) lintResults.unshift({ file: indexJson.file, kind: indexJson.kind, findings: onEntry });
    else if (mismatches[0]?.file === join(ref.dir, 'index.json')) lintResults.unshift(mismatches[0]);
    // A document that was asked for and not checked is an error, never a pass: the walk did not
    // reach it (index.json not valid UTF-8, nested too deep to analyze, a limit reached).
    const why = [...snapshot.problems, ...snapshot.incomplete].slice(0, 3).join('; ');
    // The walk reached the document but stopped at a limit: what it names may not have been
    // checked (its layers, past the descriptor limit), so the image does not pass either.
    if (snapshot.incomplete.length > 0) {
      const top = lintResults.find((r) => r.file === final.file);
      const finding = { ruleId: 'layout-walk-incomplete', severity: 'error' as const, message: `Not all checked: the layout walk stopped at a limit (${snapshot.incomplete.slice(0, 2).join('; ')}), so blobs this image names may not have been checked.`, line: 1, column: 1, endLine: 1, endColumn: 1 };
      if (top) lintResults = lintResults.map((r) => (r === top ? { ...r, findings: [...r.findings, finding] } : r));
    }
    for (const file of wanted) {
      if (lintResults.some((r) => r.file === file)) continue;
      lintResults.push({
        file, kind: 'unknown',
        findings: [{ ruleId: 'layout-walk-incomplete', severity: 'error', message: `Not checked: the layout walk did not reach this document${why ? ` (${why})` : ' from index.json'}; run lint on the layout.`, line: 1, column: 1, endLine: 1, endColumn: 1 }],
      });
    }
  }
  if (options.format === 'json') {
    let manifest: unknown = null;
    try {
      manifest = JSON.parse(final.bytes.toString('utf8'));
    } catch {
      // not JSON: null; the text is still there
    }
    const describe = (r: Read): Record<string, unknown> => ({ reference: r.label, digest: r.digest, mediaType: r.mediaType ?? null, size: r.bytes.length, file: r.file, verified: 'blob-file' });
    out.write(JSON.stringify({
      ...describe(final),
      resolvedFrom: chain.length > 1 ? chain.slice(0, -1).map(describe) : undefined,
      findings: options.lint ? lintResults : undefined,
      text: final.bytes.toString('utf8'),
      manifest,
    }, null, 2) + '\n');
  } else {
    // On a terminal, control and bidi characters escaped (terminalText.ts); elsewhere the exact bytes.
    const tty = (out as NodeJS.WriteStream).isTTY;
    out.write(tty ? terminalSafeDocument(final.bytes) : final.bytes);
    if (tty && final.bytes[final.bytes.length - 1] !== 0x0a) out.write('\n');
  }
  if (!options.lint) {
    if (mismatches.length === 0) return 0;
    writeFindings(mismatches, err);
    return failExitCode(mismatches, options.failOn ?? 'error');
  }
  const counts = writeFindings(lintResults, err);
  err.write(`${lintResults.length} document${lintResults.length === 1 ? '' : 's'} checked: ${countsText(counts)}\n`);
  return failExitCode(lintResults, options.failOn ?? 'error');
}
