/**
 * `manifest-lens fix REF --to oci|docker (--tag NEWTAG | --in-place | --dry-run)`: repairs an
 * image where it lives (issue 19). Every manifest under REF is relabelled to one family
 * (graph/repair.ts); the changed children are pushed by digest first, then the top manifest
 * under NEWTAG (or REF's own tag with --in-place). No blob is uploaded: config and layers stay
 * the same bytes in the same repository. Nothing is written unless asked, and nothing at all
 * when something cannot be expressed in the target family.
 *
 * Exit codes: 0 written (or nothing to fix, or a dry run), 1 refused before writing (or the tag
 * moved under us), 2 usage, 3 the registry could not serve or accept.
 */
import { unifiedDiff } from '../graph/compare';
import { attachmentsOf, missingBlobs, planRepair, shortDigest, tagDigest as headOrUndefined, TagMovedError, writeRepair, type RepairNode, type RepairPlan, type RepairRefusal, type RepairTarget } from '../graph/repair';
import { formatReference, isRegistryError, type ImageReference, type RegistryClient } from '../registry';
import { indexEntries, noPlatformMessage, selectPlatform } from './indexEntries';
import { applyRegistryOption, type RegistryOptions } from './inspectCommand';
import { programName } from './program';
import { oneLine, openSession } from './registrySession';
import { safeWriter, terminalSafe } from './terminalText';
import { platformText } from '../engine/platforms';

const USAGE = (): string =>
  `usage: ${programName()} fix --to oci|docker (--tag NEWTAG | --in-place | --dry-run) [--platform OS/ARCH[/VARIANT]] [--format text|json] [--force] [--insecure HOST]… [--no-creds] [--timeout SECONDS] REFERENCE\n`;

/** A tag as distribution-spec allows it. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export interface FixOptions extends RegistryOptions {
  readonly reference: string;
  readonly to: RepairTarget;
  readonly mode: { readonly kind: 'tag'; readonly tag: string } | { readonly kind: 'in-place' } | { readonly kind: 'dry-run' };
  readonly format: 'text' | 'json';
  readonly force: boolean;
  /**
   * `--dry-run`: say what `mode` would write and send no write request. Alone (mode `dry-run`) it
   * previews `--in-place`, or with `--platform` a push by digest only; with `--tag` or `--in-place`
   * it previews that.
   */
  readonly dryRun: boolean;
}

/** Parses the arguments; a string is the usage error. */
export function parseFixArgs(args: readonly string[]): FixOptions | string {
  const shared: RegistryOptions = { noCreds: false, insecureHosts: [] };
  let to: RepairTarget | undefined;
  let format: 'text' | 'json' = 'text';
  let force = false;
  let dryRun = false;
  const modes: FixOptions['mode'][] = [];
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
    const applied = applyRegistryOption(name, value, shared);
    if (typeof applied === 'string') return applied;
    if (applied) continue;
    switch (name) {
      case '--to': {
        const v = value();
        if (v !== 'oci' && v !== 'docker') return `--to must be oci or docker, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
        to = v;
        break;
      }
      case '--tag': {
        const v = value();
        if (v === undefined || !TAG.test(v)) return `--tag expects a tag (letters, digits, _ . -, at most 128, not starting with . or -), got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
        modes.push({ kind: 'tag', tag: v });
        break;
      }
      case '--in-place':
        modes.push({ kind: 'in-place' });
        break;
      case '--dry-run':
        dryRun = true;
        break;
      case '--force':
        force = true;
        break;
      case '--format': {
        const v = value();
        if (v !== 'text' && v !== 'json') return `--format must be text or json, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
        format = v;
        break;
      }
      default:
        if (arg.startsWith('-')) return `unknown option ${arg}`;
        positional.push(arg);
    }
  }
  if (positional.length !== 1) return positional.length === 0 ? 'fix: no reference given' : `fix: one reference at a time, got ${positional.length}`;
  if (!to) return 'fix: --to oci or --to docker is required';
  if (modes.length > 1) return 'fix: --tag and --in-place exclude each other';
  if (modes.length === 0 && !dryRun) return 'fix: say what to do: --tag NEWTAG (write under a new tag), --in-place (move the reference\'s own tag) or --dry-run (write nothing; with --tag or --in-place: what that would write)';
  const mode = modes[0] ?? { kind: 'dry-run' as const };
  if (mode.kind === 'in-place' && shared.platform) return 'fix: --in-place with --platform would turn the tag of an index into the tag of one platform\'s manifest; use --tag NEWTAG';
  return { ...shared, reference: positional[0]!, to, mode, format, force, dryRun };
}

/** One manifest of the output. */
interface Written {
  readonly role: 'index' | 'manifest';
  readonly where: string;
  readonly platform?: string;
  readonly oldDigest: string;
  readonly newDigest: string;
  readonly oldMediaType: string;
  readonly newMediaType: string;
  readonly size: number;
  /** 'digest' for children, the tag for the top. */
  readonly pushedAs: string;
}

function describe(n: RepairNode, pushedAs: string): Written {
  return {
    role: n.role, where: n.where, ...(n.platform ? { platform: n.platform } : {}),
    oldDigest: n.oldDigest, newDigest: n.newDigest, oldMediaType: n.oldMediaType, newMediaType: n.newMediaType,
    size: n.newBytes.length, pushedAs,
  };
}

// Registry text (platforms, media types, digests a registry named, the documents in the diffs)
// is escaped for a terminal value by value, so that no newline in it forges a line.
function line(w: Written): string {
  const label = w.platform ?? (w.role === 'index' ? 'index' : 'manifest');
  return `${terminalSafe(w.oldDigest)} -> ${terminalSafe(w.newDigest)}  ${terminalSafe(label)}  ${terminalSafe(w.newMediaType)}${w.pushedAs === 'digest' ? '' : `  (tag :${terminalSafe(w.pushedAs)})`}\n`;
}

function refusalLine(r: RepairRefusal): string {
  return `fix: cannot repair ${terminalSafe(r.where)}${r.digest ? ` (blob ${terminalSafe(r.digest)})` : ''}: ${terminalSafe(oneLine(r.reason))}\n`;
}

function pretty(bytes: Uint8Array): string {
  try {
    return JSON.stringify(JSON.parse(Buffer.from(bytes).toString('utf8')), null, 2);
  } catch {
    return Buffer.from(bytes).toString('utf8');
  }
}

/** A diff of each changed manifest (pretty-printed on both sides, so a one-line manifest diffs by field). */
function diffs(plan: RepairPlan): string {
  return plan.writes.map((n) => unifiedDiff(pretty(n.oldBytes), pretty(n.newBytes), terminalSafe(`${n.where} ${n.oldDigest}`), terminalSafe(`${n.where} ${n.newDigest}`))).join('');
}

/** The top manifest to repair: REF's, or its --platform child. */
async function resolveTop(client: RegistryClient, ref: ImageReference, options: FixOptions, err: NodeJS.WritableStream) {
  const top = await client.getManifest(ref);
  if (!options.platform) return { top, platform: undefined, tagDigest: top.digest };
  const entries = indexEntries(top.bytes);
  if (!entries) {
    err.write(`fix: ${formatReference(ref)} is a single manifest, not an index; --platform picks a manifest of an index\n`);
    return 2 as const;
  }
  const entry = selectPlatform(entries, options.platform);
  if (!entry) {
    err.write(`fix: ${noPlatformMessage(formatReference(ref), entries, options.platform)}\n`);
    return 3 as const; // the registry cannot give what was asked, as inspect, digest and verify say it
  }
  const child = await client.getManifest({ registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository, digest: entry.digest });
  return { top: child, platform: entry.platform ? platformText(entry.platform) : undefined, tagDigest: top.digest };
}

/** Runs `fix`; never throws; resolves to the exit code. */
export async function runFix(args: string[], rawOut: NodeJS.WritableStream, rawErr: NodeJS.WritableStream): Promise<number> {
  // Every message on stderr goes through the net; the text output too (its diff shows the
  // documents, and JSON.stringify leaves U+2028/2029 and bidi characters as they are). JSON
  // keeps exact values.
  const err = safeWriter(rawErr);
  const options = parseFixArgs(args);
  const out = typeof options !== 'string' && options.format === 'json' ? rawOut : safeWriter(rawOut);
  if (typeof options === 'string') {
    err.write(`${options}\n${USAGE()}`);
    return 2;
  }
  const session = openSession('fix', options, err);
  if (session === 2) return 2;
  const { ref, client } = session;
  if (options.mode.kind === 'in-place' && (ref.tag === undefined || ref.digest !== undefined)) {
    err.write(`fix: --in-place moves REF's tag, so REF must name a tag (not a digest); got ${formatReference(ref)}\n`);
    await client.close().catch(() => undefined);
    return 2;
  }
  if (options.mode.kind === 'tag' && ref.digest === undefined && options.mode.tag === ref.tag) {
    err.write(`fix: --tag ${options.mode.tag} is REF's own tag; use --in-place to move it\n`);
    await client.close().catch(() => undefined);
    return 2;
  }
  const written: Written[] = [];
  const json = options.format === 'json';
  const result: Record<string, unknown> = { reference: formatReference(ref), to: options.to, mode: options.mode.kind };
  const finish = (code: number, extra: Record<string, unknown> = {}): number => {
    if (json) out.write(JSON.stringify({ ...result, ...extra, written }, null, 2) + '\n');
    return code;
  };
  try {
    const resolved = await resolveTop(client, ref, options, err);
    if (typeof resolved === 'number') return resolved;
    const { top, platform, tagDigest } = resolved;
    result.digest = tagDigest;
    const plan = await planRepair(client, ref, top, options.to, { ...(platform ? { where: `the ${platform} manifest`, platform } : {}) });
    const refusals = [...plan.refusals];
    if (refusals.length === 0 && plan.writes.length > 0) refusals.push(...(await missingBlobs(client, ref, plan)));
    if (refusals.length > 0) {
      for (const r of refusals) err.write(refusalLine(r));
      err.write(`fix: nothing was written (${plan.fetched} manifest${plan.fetched === 1 ? '' : 's'} read)\n`);
      return finish(1, { refused: refusals });
    }
    if (!plan.root.changed) {
      err.write(`fix: nothing to fix: ${formatReference(ref)} (${tagDigest}) is already ${options.to === 'oci' ? 'OCI' : 'Docker'} throughout (${plan.fetched} manifest${plan.fetched === 1 ? '' : 's'} read); nothing was written\n`);
      return finish(0, { changed: false });
    }
    // A dry run alone previews --in-place; of a reference by digest, or of one platform (which
    // --in-place refuses), it names no tag: the result is shown by digest.
    const destTag = options.mode.kind === 'tag' ? options.mode.tag : ref.digest === undefined && !(options.mode.kind === 'dry-run' && platform) ? ref.tag : undefined;
    const dest: ImageReference = { registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository, ...(destTag ? { tag: destTag } : {}) };
    const newTop = plan.root;
    const finalRef = formatReference({ ...dest, digest: newTop.newDigest });
    const items = plan.writes.map((n) => describe(n, n === newTop && destTag ? destTag : 'digest'));

    // Signatures, attestations and referrers name the old digest: say that the repaired one has none.
    const attached = await attachmentsOf(client, ref, newTop.oldDigest);
    if (attached.length > 0) {
      err.write(`fix: warning: ${newTop.oldDigest} has ${attached.join(', ')}; they name that digest, not the repaired ${newTop.newDigest}: sign and attest it again (e.g. cosign sign ${formatReference({ ...dest, tag: undefined, digest: newTop.newDigest })})\n`);
    }
    if (attached.length > 0) result.attachedToOld = attached;

    // --tag: an existing tag is moved only when asked (--force), like --in-place's guard below.
    // A dry run asks too (a HEAD is a read), so that it says what the real run would do.
    if (options.mode.kind === 'tag') {
      const existing = await headOrUndefined(client, dest);
      if (existing && existing !== newTop.newDigest && !options.force) {
        err.write(`fix: the tag :${destTag} already exists (${existing}); nothing ${options.dryRun ? 'would be' : 'was'} written. Choose another --tag, or add --force to move it\n`);
        return finish(1);
      }
    }

    if (options.dryRun) {
      if (!json) {
        // Every manifest counted once: the children by digest, the top by digest too or under the tag.
        const n = (k: number): string => `${k} manifest${k === 1 ? '' : 's'}`;
        const what = !destTag ? `${n(items.length)} by digest` : items.length === 1 ? `${n(1)}, under tag :${destTag}` : `${n(items.length - 1)} by digest, then tag :${destTag}`;
        out.write(`would push ${what} (dry run: nothing written)\n`);
        for (const w of items) out.write(line(w));
        out.write(diffs(plan));
        out.write(`would be: ${finalRef}\n`);
      }
      err.write(`fix: dry run: no write request was sent\n`);
      return finish(0, { changed: true, dryRun: true, wouldWrite: items, wouldBe: finalRef, diff: diffs(plan) });
    }

    // Children first, by digest: harmless if we stop halfway (nothing points at them yet); then the tag.
    try {
      await writeRepair(client, ref, plan, dest, {
        ...(options.mode.kind === 'in-place' && !options.force ? { expectTagDigest: tagDigest } : {}),
        written: (_n, k) => {
          written.push(items[k]!);
          if (!json) out.write(line(items[k]!));
        },
      });
    } catch (e) {
      if (!(e instanceof TagMovedError)) throw e;
      err.write(`fix: ${e.message}. ` +
        `${written.length} repaired manifest${written.length === 1 ? ' was' : 's were'} pushed by digest only (harmless). Run fix again, or add --force to move the tag anyway\n`);
      return finish(1, { moved: e.now ?? null });
    }
    if (!json) out.write(`${finalRef}\n`);
    if (options.mode.kind === 'in-place') err.write(`fix: moved :${destTag} from ${tagDigest} to ${newTop.newDigest} (the old manifests remain, by digest)\n`);
    else err.write(`fix: wrote ${written.length} manifest${written.length === 1 ? '' : 's'}; ${formatReference(ref)} still points at ${tagDigest}\n`);
    return finish(0, { changed: true, result: finalRef, ...(options.mode.kind === 'in-place' ? { previousDigest: tagDigest } : {}) });
  } catch (e) {
    err.write(`fix: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    const codes = isRegistryError(e) ? (e.registryErrors ?? []).map((x) => x.code) : [];
    if (written.length > 0) {
      err.write(`fix: stopped after ${written.length} manifest${written.length === 1 ? '' : 's'} written by digest (${written.map((w) => shortDigest(w.newDigest)).join(', ')}: harmless, no tag points at them); no tag was changed\n`);
    } else if (isRegistryError(e) && e.kind !== 'invalid-reference') {
      err.write(`fix: nothing was written\n`);
    }
    return finish(isRegistryError(e) && e.kind === 'invalid-reference' ? 2 : 3, { error: oneLine(e instanceof Error ? e.message : String(e)), ...(codes.length ? { registryErrors: codes } : {}) });
  } finally {
    await client.close().catch(() => undefined);
  }
}
