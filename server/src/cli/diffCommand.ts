/**
 * `manifest-lens diff A B`: compare two manifests — two tags, two digests, two platforms of
 * indexes (--platform), or a local file against a remote one. Prints a unified diff of the
 * JSON and a summary of what changed (server/src/graph/compare.ts); the image configs are
 * fetched for the env, labels, entrypoint, cmd and history.
 *
 *   diff [--platform OS/ARCH[/VARIANT]] [--format text|json] [--color auto|always|never] [--insecure HOST]… [--no-creds]
 *        [--timeout SECONDS] A B
 *
 * Exit codes: 0 the same JSON (a note on stderr when the bytes differ), 1 different, 2 usage,
 * 3 the registry could not serve one of them.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { platformText, type PlatformValues } from '../engine/platforms';
import { compareManifests, type ComparedDocument } from '../graph/compare';
import { digestOf, formatReference, isRegistryError, parseReference, referenceWithDigest, type ImageReference, type RegistryClient } from '../registry';
import { parseGraphArgs } from './graphArgs';
import { indexEntries, MAX_INDEX_DEPTH, noPlatformMessage, selectPlatform } from './inspectCommand';
import { MAX_LINT_BYTES } from './lint';
import { programName } from './program';
import { oneLine, openSession } from './registrySession';
import { echoed, paint, PLAIN_STYLE, safeWriter, takeTerminalOptions, terminalSafe, terminalStyle, type Paint, type TerminalStyle } from './terminalText';

const USAGE = (): string => `usage: ${programName()} diff [--platform OS/ARCH[/VARIANT]] [--format text|json] [--color auto|always|never] [--insecure HOST]… [--no-creds] [--timeout SECONDS] A B\n  (A and B: image references or manifest files)\n`;

/** A side as the user gave it: a file on disk, or a reference. */
type Source = { readonly file: string } | { readonly ref: ImageReference; readonly text: string };

/** A file when one exists at that path (or the text looks like a path), else a reference. */
function classify(text: string): Source | string {
  if (existsSync(text)) return { file: text };
  if (/^[./~]/.test(text) || /\.json$/i.test(text)) return `${text}: no such file`;
  try {
    return { ref: parseReference(text), text };
  } catch (e) {
    return `${JSON.stringify(text)} is neither a file nor an image reference: ${oneLine(e instanceof Error ? e.message : String(e))}`;
  }
}

class UsageError extends Error {}

interface Resolved extends ComparedDocument {
  /** Where its blobs can be fetched from (remote sides). */
  readonly ref?: ImageReference;
}

function decode(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Fetches a reference (following --platform through nested indexes) or reads a file. */
async function resolve(client: RegistryClient | undefined, source: Source, platform: PlatformValues | undefined, err: NodeJS.WritableStream, signal: AbortSignal): Promise<Resolved> {
  if ('file' in source) {
    const st = statSync(source.file);
    if (st.isDirectory()) throw new UsageError(`${source.file} is a directory`);
    if (st.size > MAX_LINT_BYTES) throw new UsageError(`${source.file} is larger than ${MAX_LINT_BYTES / 1048576} MiB`);
    const bytes = readFileSync(source.file);
    if (platform && indexEntries(bytes)) throw new UsageError(`${source.file} is an index: --platform needs its child; give the child manifest's file instead`);
    return { label: source.file, bytes, digest: digestOf(bytes) ?? '' };
  }
  let ref = source.ref;
  let m = await client!.getManifest(ref, { signal });
  let label = source.text;
  for (let depth = 0; platform; depth++) {
    const entries = indexEntries(m.bytes);
    if (!entries) break;
    if (depth >= MAX_INDEX_DEPTH) throw new Error(`gave up after ${MAX_INDEX_DEPTH} nested indexes at ${label}`);
    const match = selectPlatform(entries, platform);
    if (!match) throw new Error(noPlatformMessage(label, entries, platform));
    ref = referenceWithDigest(m.reference, match.digest);
    label = `${source.text} (${platformText(platform)})`;
    m = await client!.getManifest(ref, { signal });
  }
  err.write(`${terminalSafe(label)}: ${m.digest} ${m.contentType ? echoed(m.contentType) : '(no Content-Type)'} ${m.bytes.length} bytes\n`);
  return { label, bytes: m.bytes, digest: m.digest, ref: m.reference };
}

/** The parsed image config of a manifest side, fetched from its repository (or the other side's for a file). */
async function withConfig(client: RegistryClient | undefined, side: Resolved, other: Resolved, err: NodeJS.WritableStream, signal: AbortSignal): Promise<Resolved> {
  const config = (decode(side.bytes) as { config?: { digest?: unknown } } | undefined)?.config;
  const digest = typeof config?.digest === 'string' ? config.digest : undefined;
  if (!digest || !client) return side;
  const from = side.ref ?? other.ref;
  if (!from) return side;
  try {
    const blob = await client.getBlob(from, digest, { maxBytes: 4 * 1024 * 1024, signal });
    return { ...side, config: decode(blob.bytes) };
  } catch (e) {
    err.write(`${terminalSafe(side.label)}: the config ${echoed(digest)} could not be fetched from ${formatReference(from)} (${oneLine(e instanceof Error ? e.message : String(e))}); config changes are not compared\n`);
    return side;
  }
}

/**
 * The unified diff and the summary of changes as text: every line escaped (the JSON lines and
 * the summary quote the documents: a newline there would forge a line), on a terminal with
 * colour (+ green, - red, @@ cyan). Lines are not cut: a diff is read whole.
 */
export function renderDiff(diff: string, changes: readonly { readonly text: string }[], style: TerminalStyle = PLAIN_STYLE): string {
  const lines = diff.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const painted = lines.map((l) => {
    const safe = terminalSafe(l);
    const what: Paint | undefined = l.startsWith('+++') || l.startsWith('---') ? 'bold' : l.startsWith('+') ? 'green' : l.startsWith('-') ? 'red' : l.startsWith('@@') ? 'cyan' : undefined;
    return paint(style, what, safe);
  });
  const summary = changes.map((ch) => `  ${terminalSafe(ch.text)}`);
  return `${painted.map((l) => `${l}\n`).join('')}\n${paint(style, 'bold', `${changes.length} change${changes.length === 1 ? '' : 's'}:`)}\n${summary.map((l) => `${l}\n`).join('')}`;
}

/** Runs `diff` with its arguments; never throws; resolves to the exit code. */
export async function runDiff(argv: string[], out: NodeJS.WritableStream, rawErr: NodeJS.WritableStream): Promise<number> {
  // Every message on stderr goes through the net: no control character of a registry's reaches the terminal.
  const err = safeWriter(rawErr);
  const terminal = takeTerminalOptions(argv);
  if (typeof terminal === 'string') {
    err.write(`${terminal}\n${USAGE()}`);
    return 2;
  }
  const options = parseGraphArgs(terminal.rest, { platform: true });
  if (typeof options === 'string') {
    err.write(`${options}\n${USAGE()}`);
    return 2;
  }
  if (options.positional.length !== 2) {
    err.write(`diff: two manifests to compare, got ${options.positional.length}\n${USAGE()}`);
    return 2;
  }
  const sources: Source[] = [];
  for (const p of options.positional) {
    const s = classify(p);
    if (typeof s === 'string') {
      err.write(`diff: ${s}\n${USAGE()}`);
      return 2;
    }
    sources.push(s);
  }
  const firstRemote = sources.find((s): s is Extract<Source, { ref: ImageReference }> => 'ref' in s);
  let client: RegistryClient | undefined;
  if (firstRemote) {
    const session = openSession('diff', { ...options, reference: firstRemote.text }, err);
    if (session === 2) return 2;
    client = session.client;
  }
  // When one side fails, the other side's request is aborted at once: the answer is exit 3
  // either way, and waiting for its timeout (or a registry that never answers) helps nobody.
  const controller = new AbortController();
  const orAbort = <T>(p: Promise<T>): Promise<T> => p.catch((e: unknown) => {
    controller.abort();
    throw e;
  });
  try {
    const [a0, b0] = await Promise.all(sources.map((s) => orAbort(resolve(client, s, options.platform, err, controller.signal))));
    const [a, b] = await Promise.all([withConfig(client, a0, b0, err, controller.signal), withConfig(client, b0, a0, err, controller.signal)]);
    const c = compareManifests(a, b);
    if (options.format === 'json') {
      const side = (s: Resolved) => ({ label: s.label, digest: s.digest, size: s.bytes.length });
      out.write(JSON.stringify({ same: c.same, sameBytes: c.sameBytes, a: side(a), b: side(b), changes: c.changes, diff: c.diff }, null, 2) + '\n');
    } else if (!c.same) {
      out.write(renderDiff(c.diff, c.changes, terminalStyle(out, terminal)));
    }
    if (c.same && !c.sameBytes) err.write(`diff: the same JSON, but not the same bytes: ${echoed(a.digest)} vs ${echoed(b.digest)}\n`);
    else if (c.same) err.write(`diff: the same manifest (${echoed(a.digest)})\n`);
    return c.same ? 0 : 1;
  } catch (e) {
    err.write(`diff: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    if (e instanceof UsageError) return 2;
    return isRegistryError(e) && e.kind === 'invalid-reference' ? 2 : 3;
  } finally {
    await client?.close().catch(() => undefined);
  }
}
