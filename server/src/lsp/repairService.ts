/**
 * The editor half of issue 19: Repair in registry… on a fetched document, and Push Manifest… of
 * an editor's text. The plan is the engine's (graph/repair.ts, the one `fix` uses); the checks
 * before a push are `push`'s (graph/pushCheck.ts). This file only orders the writes as `fix`
 * does (children by digest first, the top one under its tag last; an in-place move stops when
 * the tag moved under us) and turns failures into one message a person can act on.
 *
 * Writes are refused before any request when manifestLens.remote.allowPush is off or the
 * workspace is not trusted ({@link WRITES_DISABLED}); the client asks the user in a modal first.
 */
import { CodeActionKind, ResponseError, type CodeAction, type Diagnostic } from 'vscode-languageserver';
import type { Finding } from '../engine/types';
import { analyze } from '../engine/analyze';
import { prettyPrintBytes } from '../engine/format';
import { kindOfMediaType } from '../engine/documentKind';
import { attachmentsOf, missingBlobs, planRepair, shortDigest, tagDigest, TagMovedError, writeRepair, type RepairPlan } from '../graph/repair';
import { missing, namedContent } from '../graph/pushCheck';
import { digestOf, formatReference, isRegistryError, parseReference, type ImageReference, type RegistryClient } from '../registry';
import {
  REGISTRY_ERROR_CODE,
  REPAIR_COMMAND,
  WRITES_DISABLED,
  type PushManifestParams,
  type PushManifestResult,
  type RepairApplyParams,
  type RepairPlanParams,
  type RepairPreview,
  type RepairResult,
} from '../../../common/protocol';
import type { Fetched, RemoteService } from './remote';
import { remoteUri, withRaw } from './remoteUri';
import { toResponseError } from './remote';
import { messageText } from '../../../common/messageText';

/** A tag as distribution-spec allows it. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const IMAGE_KINDS = new Set(['oci-manifest', 'oci-index', 'docker-manifest', 'docker-list']);
const MAX_PUSH_BYTES = 4 * 1024 * 1024;

export interface RepairDeps {
  readonly client: () => RegistryClient;
  readonly remote: RemoteService;
  readonly log: (line: string) => void;
  /** Why writes are refused here (the setting, workspace trust), or undefined when allowed. */
  readonly writesRefused: () => string | undefined;
}

const utf8 = new TextDecoder('utf-8');

function pretty(bytes: Uint8Array): string {
  const p = prettyPrintBytes(bytes);
  return utf8.decode(p.changed ? p.bytes : bytes);
}

function refused(message: string, kind = 'refused'): ResponseError<{ kind: string }> {
  return new ResponseError(REGISTRY_ERROR_CODE, message, { kind });
}

/** `TAG-oci`, cut so that it stays a valid tag (at most 128 characters). */
export function suggestedTag(tag: string | undefined, to: 'oci' | 'docker'): string {
  const suffix = `-${to}`;
  return `${(tag ?? 'repaired').slice(0, 128 - suffix.length)}${suffix}`;
}

/** One message for a failed write: a 401/403 says the account lacks push rights; what was written (harmless) is named. */
function writeError(err: unknown, ref: ImageReference, written: readonly string[]): ResponseError<{ kind: string }> {
  const done = written.length
    ? ` ${written.length} repaired manifest${written.length === 1 ? ' was' : 's were'} pushed by digest before it stopped (${written.map(shortDigest).join(', ')}): harmless, no tag points at them; no tag was changed.`
    : ' Nothing was written.';
  if (isRegistryError(err) && err.kind === 'digest-mismatch') {
    // The registry answered the write as done, with another digest: something was stored.
    const before = written.length ? ` Before it, ${written.length} repaired manifest${written.length === 1 ? ' was' : 's were'} pushed by digest (${written.map(shortDigest).join(', ')}).` : '';
    return new ResponseError(REGISTRY_ERROR_CODE, messageText(`${err.message} The registry answered the write as done, so it may have stored those other bytes.${before}`), { kind: err.kind });
  }
  if (isRegistryError(err) && (err.kind === 'unauthorized' || err.kind === 'forbidden')) {
    return new ResponseError(REGISTRY_ERROR_CODE, `${ref.registry} refused the write to ${ref.repository} (${err.status ?? err.kind}): the account lacks push rights there. Log in with an account that may push (docker login ${ref.registry}).${done}`, { kind: err.kind });
  }
  const base = toResponseError(err);
  return new ResponseError(REGISTRY_ERROR_CODE, `${base.message}${done}`, base.data);
}

export class RepairService {
  constructor(private readonly deps: RepairDeps) {}

  private source(uri: string): { f: Fetched; ref: ImageReference } {
    const f = this.deps.remote.fetched(uri);
    if (!f || f.target.kind !== 'manifest') throw refused('Repair in registry works on manifests and indexes opened with "Inspect Remote Image".', 'invalid-reference');
    const sep = f.target.ref.includes(':') ? '@' : ':';
    try {
      return { f, ref: parseReference(`${f.target.registry}/${f.target.repository}${sep}${f.target.ref}`) };
    } catch (err) {
      throw toResponseError(err);
    }
  }

  /** The engine's plan for the bytes on screen (not fetched again: the repair is of what was seen). */
  private async plan(uri: string, to: 'oci' | 'docker', signal: AbortSignal): Promise<{ f: Fetched; ref: ImageReference; plan: RepairPlan; refusals: string[] }> {
    const { f, ref } = this.source(uri);
    if (to !== 'oci' && to !== 'docker') throw refused(`Repair converts to oci or docker, not ${String(to)}.`, 'invalid-reference');
    try {
      const client = this.deps.client();
      const plan = await planRepair(client, ref, { bytes: f.bytes, digest: f.digest, mediaType: f.contentType ?? '' }, to, { signal });
      const found = [...plan.refusals];
      if (found.length === 0 && plan.writes.length > 0) found.push(...(await missingBlobs(client, ref, plan, signal)));
      const refusals = found.map((r) => `${r.where}${r.digest ? ` (${r.digest})` : ''}: ${r.reason}`);
      return { f, ref, plan, refusals };
    } catch (err) {
      throw toResponseError(err);
    }
  }

  async preview(p: RepairPlanParams, signal: AbortSignal): Promise<RepairPreview> {
    const { f, ref, plan, refusals } = await this.plan(p.uri, p.to, signal);
    // A refused plan is shown as its refusals only: no texts (each is up to 4 MiB, twice).
    const writes = (refusals.length ? [] : plan.writes).map((n) => ({
      where: n.where, ...(n.platform ? { platform: n.platform } : {}), oldDigest: n.oldDigest, newDigest: n.newDigest, newMediaType: n.newMediaType,
      oldText: pretty(n.oldBytes), newText: pretty(n.newBytes), top: n === plan.root,
    }));
    this.deps.log(`repair plan for ${formatReference(ref)} to ${p.to}: ${writes.length} manifest(s) to write, ${refusals.length} refusal(s), ${plan.fetched} read`);
    const why = this.deps.writesRefused();
    // Signatures and referrers of the manifest being replaced do not carry over to the new digest: the modal says so.
    const attached = refusals.length === 0 && plan.root.changed ? await attachmentsOf(this.deps.client(), ref, plan.root.oldDigest, signal).catch((err) => { throw toResponseError(err); }) : [];
    return {
      reference: f.reference, registry: ref.registry, repository: ref.repository, ...(ref.tag !== undefined && ref.digest === undefined ? { tag: ref.tag } : {}),
      digest: f.digest, to: p.to, suggestedTag: suggestedTag(ref.digest === undefined ? ref.tag : undefined, p.to),
      refusals, writes, newDigest: plan.root.newDigest, ...(why ? { writesRefused: why } : {}), ...(attached.length ? { attached } : {}),
    };
  }

  async apply(p: RepairApplyParams, signal: AbortSignal): Promise<RepairResult> {
    const why = this.deps.writesRefused();
    if (why) throw refused(why, WRITES_DISABLED);
    if (p.mode !== 'tag' && p.mode !== 'in-place') throw refused(`Repair's mode is tag or in-place, not ${JSON.stringify(String(p.mode).slice(0, 40))}; nothing was written.`, 'invalid-reference');
    const { f, ref, plan, refusals } = await this.plan(p.uri, p.to, signal);
    if (refusals.length) throw refused(`Nothing was written: ${refusals.join('; ')}`);
    if (!plan.root.changed) throw refused(`Nothing to repair: ${f.reference} is already ${p.to === 'oci' ? 'OCI' : 'Docker'} throughout. Nothing was written.`);
    if (plan.root.newDigest !== p.expectDigest) throw refused(`The repair would now write ${shortDigest(plan.root.newDigest)}, not the ${shortDigest(p.expectDigest)} that was shown; nothing was written. Run Repair in registry… again.`);
    let tag: string;
    if (p.mode === 'in-place') {
      if (ref.tag === undefined || ref.digest !== undefined) throw refused(`${f.reference} was opened by digest: there is no tag to move. Choose a new tag.`, 'invalid-reference');
      tag = ref.tag;
    } else {
      if (typeof p.tag !== 'string' || !TAG.test(p.tag)) throw refused(`Not a tag: ${JSON.stringify(String(p.tag).slice(0, 140))} (letters, digits, _ . -, at most 128, not starting with . or -).`, 'invalid-reference');
      if (p.tag === ref.tag && ref.digest === undefined) throw refused(`:${p.tag} is the document's own tag; choose "in place" to move it.`, 'invalid-reference');
      tag = p.tag;
    }
    const client = this.deps.client();
    const dest: ImageReference = { registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository, tag };
    const written: string[] = [];
    try {
      if (p.mode === 'tag' && p.force !== true) {
        const existing = await tagDigest(client, dest, signal);
        if (existing && existing !== plan.root.newDigest) throw refused(`The tag :${tag} already exists (${existing}); nothing was written. Choose another tag, or move it.`, 'tag-exists');
      }
      // Children first, by digest, then the tag, as fix writes them (graph/repair.ts).
      await writeRepair(client, ref, plan, dest, {
        ...(p.mode === 'in-place' ? { expectTagDigest: f.digest } : {}),
        signal,
        written: (n) => written.push(n.newDigest),
      });
    } catch (err) {
      if (err instanceof ResponseError) throw err;
      if (err instanceof TagMovedError) {
        throw refused(`The tag :${err.tag} moved since it was read (it was ${err.was}, it is now ${err.now ?? 'gone'}); it was not changed.` +
          (written.length ? ` ${written.length} repaired manifest${written.length === 1 ? ' was' : 's were'} pushed by digest only (harmless).` : '') + ' Inspect it again and repair what it is now.', 'tag-moved');
      }
      throw writeError(err, ref, written);
    }
    const target = { registry: f.target.registry, repository: f.target.repository, ref: tag, kind: 'manifest' as const, raw: false };
    // The tag's document is fetched again from the registry when it is opened (in place: it was kept with the old bytes).
    this.deps.remote.forget(remoteUri(target));
    const reference = formatReference({ ...dest, digest: plan.root.newDigest });
    this.deps.log(`repaired ${f.reference} to ${p.to}: wrote ${written.length} manifest(s), ${reference}${p.mode === 'in-place' ? ` (moved from ${f.digest})` : ''}`);
    return { reference, uri: remoteUri(target), written, ...(p.mode === 'in-place' ? { previousDigest: f.digest } : {}) };
  }

  /** Push Manifest…: `check` lints and says what would move; `write` pushes the exact bytes of the text, as `push` does. */
  async push(p: PushManifestParams, signal: AbortSignal): Promise<PushManifestResult> {
    // Only `check` reads; anything else is refused, never taken for a write past the refusal below.
    if (p.mode !== 'check' && p.mode !== 'write') throw refused(`Push Manifest's mode is check or write, not ${JSON.stringify(String(p.mode).slice(0, 40))}; nothing was written.`, 'invalid-reference');
    const why = this.deps.writesRefused();
    if (why && p.mode !== 'check') throw refused(why, WRITES_DISABLED);
    const bytes = new TextEncoder().encode(p.text);
    if (bytes.length > MAX_PUSH_BYTES) throw refused(`The document is ${bytes.length} bytes, over the 4 MiB a manifest may have; nothing was written.`);
    const digest = digestOf(bytes)!;
    let doc: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(p.text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
      doc = parsed as Record<string, unknown>;
    } catch (e) {
      throw refused(`The document is not a manifest (${e instanceof Error ? e.message : String(e)}); nothing was written.`);
    }
    const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
    const kind = kindOfMediaType(mediaType);
    if (!mediaType || !kind || !IMAGE_KINDS.has(kind)) {
      throw refused(`The document ${mediaType ? `has mediaType ${JSON.stringify(mediaType.slice(0, 100))}, not an image manifest or index type` : 'has no mediaType'}; the Content-Type of the push is the document's mediaType, so write it in the document. Nothing was written.`);
    }
    const a = analyze(p.text, { maxFindings: 1000 });
    const errors = a.findings.filter((x) => x.severity === 'error').map((x) => `${x.ruleId}: ${x.message}`);
    let ref: ImageReference;
    try {
      ref = parseReference(p.reference.trim());
    } catch (err) {
      throw toResponseError(err);
    }
    const byDigest = ref.tag === undefined || ref.digest !== undefined;
    if (ref.digest !== undefined && ref.digest !== digest) throw refused(`The reference names ${ref.digest}, but the text's digest is ${digest}; nothing was written.`, 'invalid-reference');
    const client = this.deps.client();
    const written: string[] = [];
    try {
      const absent = (await missing(client, ref, namedContent(doc), signal)).map((n) => `${n.what} (${n.kind} ${n.digest}) is not in ${ref.registry}/${ref.repository}`);
      const tagDigestNow = byDigest ? undefined : await tagDigest(client, ref, signal);
      const base = { mediaType, digest, size: bytes.length, errors, missing: absent, ...(tagDigestNow ? { tagDigest: tagDigestNow } : {}), ...(why ? { writesRefused: why } : {}) };
      if (p.mode === 'check') return base;
      if (absent.length) throw refused(`Nothing was written: ${absent.join('; ')}. Push uploads no blob: push them there first.`);
      if (errors.length && p.force !== true) throw refused(`The document has ${errors.length} lint error${errors.length === 1 ? '' : 's'} (${errors[0]}); nothing was written.`);
      // The modal named what the tag moves from: it must not have moved since.
      if (!byDigest && typeof p.expectTagDigest === 'string' && (tagDigestNow ?? '') !== p.expectTagDigest) {
        throw refused(`The tag :${ref.tag} moved since it was checked (it was ${p.expectTagDigest || 'absent'}, it is now ${tagDigestNow ?? 'gone'}); nothing was written. Push again to see what it moves from now.`, 'tag-moved');
      }
      const put = await client.putManifest(ref, bytes, mediaType, { byDigest, signal });
      written.push(put.digest);
      const repo = { registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository };
      const reference = formatReference({ ...repo, ...(byDigest ? {} : { tag: ref.tag }), digest: put.digest });
      const target = { registry: ref.registry, repository: ref.repository, ref: byDigest ? put.digest : ref.tag!, kind: 'manifest' as const, raw: false };
      this.deps.remote.forget(remoteUri(target));
      this.deps.log(`pushed ${bytes.length} bytes (${mediaType}) as ${reference}`);
      return { ...base, reference, uri: remoteUri(target) };
    } catch (err) {
      if (err instanceof ResponseError) throw err;
      throw writeError(err, ref, []);
    }
  }
}

/**
 * The rules whose findings one family conversion of the whole image fixes (engine/rules/mixed.ts):
 * on a fetched index they come from its children (deep inspection), on a manifest from itself.
 */
const FAMILY_RULES: ReadonlySet<string> = new Set([
  'mixed-config-media-type', 'mixed-layer-in-oci-manifest', 'mixed-layer-in-docker-manifest', 'docker-config-media-type-unexpected',
  'mixed-index-docker-children', 'mixed-list-oci-children', 'docker-zstd-layer-nonstandard', 'docker-uncompressed-layer', 'oci-only-field-in-docker', 'docker-only-field-in-oci',
]);

/**
 * "Repair in registry…" code actions of a fetched manifest or index, one per target family, when
 * its own findings or its children's (deep inspection) are ones a family conversion fixes: the
 * document's own family first. They run the client's command, which shows the diff and asks.
 */
export function repairActions(
  uri: string,
  f: Fetched | undefined,
  findings: readonly Finding[],
  deepCodes: readonly (string | number | undefined)[],
  context: readonly Diagnostic[],
): CodeAction[] {
  if (!f || f.target.kind !== 'manifest') return [];
  const kind = kindOfMediaType(f.contentType);
  const own: 'oci' | 'docker' | undefined = kind?.startsWith('oci-') ? 'oci' : kind?.startsWith('docker-') ? 'docker' : undefined;
  const targets = new Set<'oci' | 'docker'>();
  if (own && deepCodes.some((c) => typeof c === 'string' && FAMILY_RULES.has(c))) targets.add(own);
  for (const x of findings) {
    if (!FAMILY_RULES.has(x.ruleId)) continue;
    for (const c of x.conversions ?? []) targets.add(c);
    if (own && !x.conversions) targets.add(own);
  }
  const ordered = [...targets].sort((a, b) => (a === own ? -1 : b === own ? 1 : 0));
  const diagnostics = context.filter((d) => typeof d.code === 'string' && FAMILY_RULES.has(d.code));
  return ordered.map((to) => ({
    title: `Repair in registry… (all ${to === 'oci' ? 'OCI' : 'Docker'}: new manifests, new digests)`,
    kind: CodeActionKind.QuickFix,
    ...(diagnostics.length ? { diagnostics } : {}),
    command: { title: 'Repair in registry…', command: REPAIR_COMMAND, arguments: [withRaw(uri, false) ?? uri, to] },
  }));
}
