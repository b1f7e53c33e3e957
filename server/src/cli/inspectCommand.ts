/**
 * `manifest-lens inspect REFERENCE`: fetch a manifest and print the bytes the registry served,
 * unchanged, so `sha256sum` of stdout is the digest. What was fetched (digest, Content-Type,
 * size, verification) goes to stderr; with --lint the same engine as `lint` checks it, and
 * for an index (without --platform) every child manifest too.
 *
 *   inspect [--platform OS/ARCH[/VARIANT]] [--lint] [--insecure HOST]… [--no-creds]
 *           [--timeout SECONDS] [--format raw|json] REFERENCE
 *
 * Exit codes: 0 fetched, 1 lint found an error, 2 usage (including an invalid reference),
 * 3 the registry could not give what was asked (network, auth, not found, no such platform).
 */
import { nestsDeeperThan } from '../engine/nesting';
import { fstatSync } from 'node:fs';
import { platformText, type PlatformValues } from '../engine/platforms';
import { MAX_DEPTH } from '../engine/tape';
import { formatReference, isRegistryError, referenceWithDigest, type FetchedManifest, type ImageReference, type RegistryClient } from '../registry';
import { parseFailOn, type FailOn } from './failOn';
import { indexEntries, MAX_INDEX_DEPTH, noPlatformMessage, selectPlatform, type IndexEntry } from './indexEntries';
import type { LintFileResult } from './lint';
import { programName } from './program';
import { oneLine, openSession } from './registrySession';
import { echoed, safeWriter, terminalSafeDocument } from './terminalText';

// Where they were first written; digest, diff and the tests import them from here.
export { indexEntries, MAX_INDEX_DEPTH, noPlatformMessage, selectPlatform, type IndexEntry };

const USAGE = (): string => `usage: ${programName()} inspect [--platform OS/ARCH[/VARIANT]] [--lint [--fail-on SEVERITY]] [--insecure HOST]… [--no-creds] [--timeout SECONDS] [--format raw|json] REFERENCE\n`;

/** The range of --timeout: timers cannot wait longer than about 24.8 days, and a tenth of a second is no network round trip. */
export const MIN_TIMEOUT_SECONDS = 0.1;
export const MAX_TIMEOUT_SECONDS = 86_400;

/** The value of --timeout in seconds, or the usage message when it is out of range (every registry command). */
export function parseTimeoutOption(v: string | undefined): number | string {
  // Decimal notation only: `Number` would also take `1e3`, `0x10` and ' 5 '.
  const n = v !== undefined && /^[0-9]{1,9}(\.[0-9]{1,9})?$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < MIN_TIMEOUT_SECONDS || n > MAX_TIMEOUT_SECONDS) {
    return `--timeout expects seconds from ${MIN_TIMEOUT_SECONDS} to ${MAX_TIMEOUT_SECONDS} (a day), got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
  }
  return n;
}

/** Whether two streams write to the same file, pipe or terminal (stdout and stderr after `2>&1`). */
export function sameDestination(a: NodeJS.WritableStream, b: NodeJS.WritableStream): boolean {
  const fa = (a as { fd?: unknown }).fd;
  const fb = (b as { fd?: unknown }).fd;
  if (typeof fa !== 'number' || typeof fb !== 'number') return false;
  try {
    const sa = fstatSync(fa);
    const sb = fstatSync(fb);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** The parsed arguments of `inspect`. */
export interface InspectOptions {
  readonly reference: string;
  readonly platform?: PlatformValues;
  readonly lint: boolean;
  readonly insecureHosts: readonly string[];
  readonly noCreds: boolean;
  readonly timeoutSeconds?: number;
  readonly format: 'raw' | 'json';
  /** With --lint: the least severe finding that makes the exit code 1 ('never': none). */
  readonly failOn?: FailOn;
}

/** `linux/arm64/v8` → platform values, or undefined when it is not OS/ARCH[/VARIANT]. */
export function parsePlatform(text: string): PlatformValues | undefined {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9._-]+$/.test(p))) return undefined;
  return { os: parts[0], architecture: parts[1], variant: parts[2] ?? '' };
}

/** What the options every registry command takes (inspect, digest, tree, diff) set. */
export interface RegistryOptions {
  platform?: PlatformValues;
  noCreds: boolean;
  timeoutSeconds?: number;
  readonly insecureHosts: string[];
}

/**
 * Applies one of the options the registry commands share (--platform, --no-creds, --insecure,
 * --timeout) to `into`: true when `name` is one of them, a string for its usage error, false
 * when it is not a shared option.
 */
export function applyRegistryOption(name: string, value: () => string | undefined, into: RegistryOptions): boolean | string {
  switch (name) {
    case '--platform': {
      const v = value();
      const p = v === undefined ? undefined : parsePlatform(v);
      if (!p) return `--platform expects OS/ARCH[/VARIANT], e.g. linux/arm64/v8, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
      into.platform = p;
      return true;
    }
    case '--no-creds':
      into.noCreds = true;
      return true;
    case '--insecure': {
      const v = value();
      if (!v) return '--insecure expects a registry host, e.g. --insecure registry.local:5000';
      into.insecureHosts.push(v);
      return true;
    }
    case '--timeout': {
      const n = parseTimeoutOption(value());
      if (typeof n === 'string') return n;
      into.timeoutSeconds = n;
      return true;
    }
    default:
      return false;
  }
}

/** Parses the arguments of `inspect`; a string is the usage error to print. */
export function parseInspectArgs(args: readonly string[]): InspectOptions | string {
  const shared: RegistryOptions = { noCreds: false, insecureHosts: [] };
  let lint = false;
  let format: 'raw' | 'json' = 'raw';
  let failOn: FailOn | undefined;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
    const applied = applyRegistryOption(name, value, shared);
    if (typeof applied === 'string') return applied;
    if (applied) continue;
    switch (name) {
      case '--lint':
        lint = true;
        break;
      case '--fail-on': {
        const parsed = parseFailOn(value());
        if ('error' in parsed) return parsed.error;
        failOn = parsed.failOn;
        break;
      }
      case '--format': {
        const v = value();
        if (v !== 'raw' && v !== 'json') return `--format must be raw or json, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
        format = v;
        break;
      }
      case '--':
        positional.push(...args.slice(i + 1));
        i = args.length;
        break;
      default:
        if (arg.startsWith('-')) return `unknown option ${arg}`;
        positional.push(arg);
    }
  }
  if (positional.length === 0) return 'inspect: no reference given';
  if (positional.length > 1) return `inspect: one reference at a time, got ${positional.length}: ${positional.join(' ')}`;
  if (failOn && !lint) return '--fail-on sets when --lint fails; add --lint';
  const { platform, insecureHosts, noCreds, timeoutSeconds } = shared;
  return { reference: positional[0], platform, lint, insecureHosts, noCreds, timeoutSeconds, format, ...(failOn ? { failOn } : {}) };
}

/** A document fetched on the way, with the reference it was fetched as. */
interface Fetched {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly mediaType?: string;
  readonly digest: string;
  readonly bytesDigest: string;
  readonly verified: FetchedManifest['verified'];
  readonly dockerContentDigest?: string;
  /** Which of the document's digests the verification compared; undefined when not verified. */
  readonly verifiedDigestOf?: VerifiedDigestOf;
  readonly warnings: readonly string[];
}

/**
 * Which digest of the document the registry's (or the request's) digest matched: the served
 * bytes', or, for a signed schema 1 manifest, its payload's (the manifest without signatures,
 * the digest registries use). undefined when nothing was verified.
 */
export type VerifiedDigestOf = 'bytes' | 'signed-payload';

function verifiedDigestOf(f: Pick<FetchedManifest, 'digest' | 'bytesDigest' | 'verified'>, expected: string | undefined): VerifiedDigestOf | undefined {
  if (f.verified === 'computed-only') return undefined;
  // The client accepts either form for a signed schema 1 manifest; say which one it was.
  return f.digest !== f.bytesDigest && expected === f.digest ? 'signed-payload' : 'bytes';
}

function verificationText(f: Fetched): string {
  const what = f.verifiedDigestOf === 'signed-payload'
    ? 'the sha256 of the signed payload (the manifest without its signatures)'
    : 'the sha256 of the served bytes';
  switch (f.verified) {
    case 'requested-digest':
      return `verified: ${what} matches the requested digest${f.dockerContentDigest ? ' and Docker-Content-Digest' : ''}`;
    case 'docker-content-digest':
      return `verified: ${what} matches Docker-Content-Digest`;
    default:
      return f.dockerContentDigest
        ? `not verified: no digest was requested and the registry's Docker-Content-Digest (${JSON.stringify(f.dockerContentDigest.slice(0, 100))}) is not a usable digest; the digest is computed from the served bytes`
        : 'not verified: no digest was requested and the registry sent no Docker-Content-Digest; the digest is computed from the served bytes';
  }
}

/**
 * Runs `inspect` with its arguments (after the command name). Writes the served bytes to `out`
 * and everything else to `err`; never throws. Resolves to the exit code.
 */
export async function runInspect(args: string[], out: NodeJS.WritableStream, rawErr: NodeJS.WritableStream): Promise<number> {
  // Every message on stderr goes through the net: no control character of a registry's reaches
  // the terminal (stdout keeps the served bytes exact).
  const err = safeWriter(rawErr);
  const options = parseInspectArgs(args);
  if (typeof options === 'string') {
    err.write(`${options}\n${USAGE()}`);
    return 2;
  }
  // oci:DIR[:TAG] reads an OCI image layout on disk, like skopeo's oci: transport (cli/inspectLayout.ts).
  if (options.reference.startsWith('oci:')) return (await import('./inspectLayout')).runInspectLayout(options, out, err);
  const session = openSession('inspect', options, err);
  if (session === 2) return 2;
  const { ref, client } = session;

  const fetched: Fetched[] = [];
  const children: Fetched[] = [];
  const code = await fetchAll(client, ref, options, fetched, err)
    .then((c) => (c === 0 && options.lint && !options.platform ? fetchChildrenForLint(client, ref, fetched[0], children, err) : c))
    .finally(() => client.close().catch(() => undefined));
  if (code !== 0) return code;
  return report(options, fetched, out, err, children);
}

/** The most children `--lint` fetches from one index: a pipeline gate, not a crawler. */
const MAX_LINTED_CHILDREN = 64;

/**
 * With --lint and no --platform, an index is only as good as its children (podman#22196 was an
 * index whose children were mixed): fetch each child manifest by digest (never a layer or a
 * config) so they are linted too, and the children of a child that is itself an index, down to
 * MAX_INDEX_DEPTH levels. Nothing of theirs goes to stdout.
 */
async function fetchChildrenForLint(client: RegistryClient, ref: ImageReference, index: Fetched, children: Fetched[], err: NodeJS.WritableStream): Promise<number> {
  const topEntries = indexEntries(index.bytes);
  if (!topEntries) return 0;
  if (topEntries.length > MAX_LINTED_CHILDREN) err.write(`${index.label}: linting the first ${MAX_LINTED_CHILDREN} of ${topEntries.length} children\n`);
  let budgetNoted = false;
  /** Fetches the entries of one index (depth 1 = the reference's own children) and walks down. */
  const walk = async (entries: readonly IndexEntry[], depth: number): Promise<void> => {
    for (const entry of entries) {
      // One budget for the whole tree: a pipeline gate, not a crawler.
      if (children.length >= MAX_LINTED_CHILDREN) {
        if (!budgetNoted && depth > 1) err.write(`${index.label}: linting the first ${MAX_LINTED_CHILDREN} manifests of its nested indexes\n`);
        budgetNoted = true;
        return;
      }
      const childRef = referenceWithDigest(ref, entry.digest);
      // The platform is the index's text: escaped, as it ends up in messages on stderr.
      const what = entry.attestation ? 'attestation' : entry.platform ? echoed(platformText(entry.platform), 100) : `manifests[${entry.position}]`;
      const child = await fetchOne(client, childRef, `${formatReference(childRef)} (${what})`, entry.size, err);
      children.push(child);
      const grandchildren = indexEntries(child.bytes);
      if (!grandchildren) continue;
      if (depth >= MAX_INDEX_DEPTH) {
        err.write(`${child.label}: not linting its children: ${MAX_INDEX_DEPTH} nested indexes deep\n`);
        continue;
      }
      await walk(grandchildren, depth + 1);
    }
  };
  try {
    await walk(topEntries, 1);
  } catch (e) {
    err.write(`inspect: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return isRegistryError(e) && e.kind === 'invalid-reference' ? 2 : 3;
  }
  return 0;
}

/**
 * Fetches one manifest and says on stderr what was served (digest, Content-Type, size,
 * verification, registry warnings, a size that differs from the index entry's).
 */
async function fetchOne(client: RegistryClient, ref: ImageReference, label: string, expectedSize: number | undefined, err: NodeJS.WritableStream): Promise<Fetched> {
  const m = await client.getManifest(ref, {});
  const doc: Fetched = {
    label,
    bytes: m.bytes,
    contentType: m.contentType,
    mediaType: m.mediaType,
    digest: m.digest,
    bytesDigest: m.bytesDigest,
    verified: m.verified,
    dockerContentDigest: m.dockerContentDigest,
    verifiedDigestOf: verifiedDigestOf(m, ref.digest ?? m.dockerContentDigest),
    warnings: m.warnings ?? [],
  };
  if (expectedSize !== undefined && expectedSize !== m.bytes.length) {
    err.write(`${label}: warning: the index entry says ${expectedSize} bytes, the registry served ${m.bytes.length}\n`);
  }
  err.write(`${label}: ${doc.digest} ${doc.contentType ? echoed(doc.contentType) : '(no Content-Type)'} ${doc.bytes.length} bytes, ${verificationText(doc)}\n`);
  if (doc.bytesDigest !== doc.digest) {
    err.write(`${label}: a signed schema 1 manifest: its digest ${doc.digest} is the payload's (without the signatures); the served bytes on stdout, signatures included, hash to ${doc.bytesDigest}\n`);
  }
  for (const w of doc.warnings) err.write(`${label}: warning: ${oneLine(w)}\n`);
  return doc;
}

/** Fetches the reference and, with --platform, the matching child; fills `fetched`. */
async function fetchAll(client: RegistryClient, ref: ImageReference, options: InspectOptions, fetched: Fetched[], err: NodeJS.WritableStream): Promise<number> {
  try {
    let current = ref;
    let expectedSize: number | undefined;
    for (let depth = 0; ; depth++) {
      const doc = await fetchOne(client, current, formatReference(current), expectedSize, err);
      fetched.push(doc);
      if (!options.platform) break;
      const entries = indexEntries(doc.bytes);
      if (!entries) {
        if (depth === 0) err.write(`${doc.label}: not an index or manifest list; --platform ${platformText(options.platform)} ignored\n`);
        break;
      }
      if (depth >= MAX_INDEX_DEPTH) {
        err.write(`inspect: gave up after ${MAX_INDEX_DEPTH} nested indexes at ${doc.label}\n`);
        return 3;
      }
      const match = selectPlatform(entries, options.platform);
      if (!match) {
        err.write(`inspect: ${noPlatformMessage(doc.label, entries, options.platform)}\n`);
        return 3;
      }
      err.write(`${doc.label}: platform ${platformText(options.platform)} → manifests[${match.position}] ${echoed(match.digest)}\n`);
      current = referenceWithDigest(ref, match.digest);
      expectedSize = match.size;
    }
  } catch (e) {
    if (isRegistryError(e)) {
      err.write(`inspect: ${oneLine(e.message)}\n`);
      return e.kind === 'invalid-reference' ? 2 : 3;
    }
    err.write(`inspect: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return 3;
  }

  return 0;
}

/** Writes the bytes (or the JSON envelope) and the lint findings; the exit code. */
async function report(options: InspectOptions, fetched: readonly Fetched[], out: NodeJS.WritableStream, err: NodeJS.WritableStream, children: readonly Fetched[] = []): Promise<number> {
  const final = fetched[fetched.length - 1];
  // The engine (dist/cli-lint.js in the bundles) only for --lint: without it, `inspect` starts
  // without parsing or running any of the rules (issue 13).
  const lint = options.lint ? await import('./lint') : undefined;
  let lintResults: LintFileResult[] = [];
  if (lint) lintResults = [...fetched, ...children].map((f) => lint.lintBytes(f.label, f.bytes, { contentType: f.contentType }));

  if (options.format === 'json') {
    let manifest: unknown = null;
    const text = Buffer.from(final.bytes).toString('utf8');
    // JSON.stringify recurses once per level: a document nested past what the engine reads is
    // left out as `manifest` (its text is still there), not allowed to overflow the stack.
    if (nestsDeeperThan(text, MAX_DEPTH)) {
      err.write(`${final.label}: nested more than ${MAX_DEPTH} levels deep (manifests nest about six); "manifest" is null, "text" has the bytes\n`);
    } else {
      try {
        manifest = JSON.parse(text);
      } catch {
        // not JSON: leave null; the text is still there
      }
    }
    const describe = (f: Fetched): Record<string, unknown> => ({
      reference: f.label, digest: f.digest, bytesDigest: f.bytesDigest, contentType: f.contentType, mediaType: f.mediaType ?? null,
      size: f.bytes.length, verified: f.verified, verifiedDigestOf: f.verifiedDigestOf ?? null, verification: verificationText(f),
      dockerContentDigest: f.dockerContentDigest ?? null, warnings: f.warnings,
    });
    const body = {
      ...describe(final),
      resolvedFrom: fetched.length > 1 ? fetched.slice(0, -1).map(describe) : undefined,
      findings: options.lint ? lintResults : undefined,
      text,
      manifest,
    };
    out.write(JSON.stringify(body, null, 2) + '\n');
  } else {
    // On a terminal the document is shown with its control and bidi characters escaped (a
    // registry's ESC would act on the terminal); anywhere else the served bytes, unchanged.
    out.write((out as NodeJS.WriteStream).isTTY ? terminalSafeDocument(final.bytes) : final.bytes);
    if (final.bytes[final.bytes.length - 1] !== 0x0a) {
      // On a terminal (never in a pipe, where the bytes must stay exact) end the line for the
      // prompt. When stdout and stderr go to one place (`2>&1 | less`, a file), the findings
      // that follow must not start after the closing brace: the line break goes to stderr.
      if ((out as NodeJS.WriteStream).isTTY) out.write('\n');
      else if (options.lint && sameDestination(out, err)) err.write('\n');
    }
  }

  if (!lint) return 0;
  const counts = lint.writeFindings(lintResults, err);
  err.write(`${lintResults.length} document${lintResults.length === 1 ? '' : 's'} checked: ${lint.countsText(counts)}\n`);
  return lint.failExitCode(lintResults, options.failOn ?? 'error');
}
