/**
 * Signatures and attestations in the editor (issue 20): the explorer's "signatures and
 * attestations" rows, the lenses and the top hover of a fetched manifest, each signature with its
 * verdict against the trust in `manifestLens.trust.*` (key files, a trusted root with identities,
 * a notation folder: never notation's own folder, never guessed). The files are read only in a
 * trusted workspace; without trust every signature is "not verified: no trust configured".
 * Reports are kept per (repository, digest, index) until the trust settings change.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeLens } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from '../engine/analyze';
import type { ExplorerSupplyChainParams, SupplyChainItem, SupplyChainReport } from '../../../common/protocol';
import { oneLineText } from '../../../common/messageText';
import { codeSpan, escapeMarkdown } from '../engine/hover';
import { parseReference, referenceWithDigest, type RegistryClient } from '../registry';
import { hasTrust, loadTrustFiles, signedAtSource, supplyChainReport, trustWords, verdictWords, type Trust } from '../supplychain';
import { holdingClient } from './heldDocuments';
import type { Fetched } from './remote';
import { remoteUri } from './remoteUri';
import type { TrustSettings } from './settings';

/** The most items a fetched document's lenses name one by one (the hover has them all). */
const MAX_ITEM_LENSES = 6;

export interface SupplyChainDeps {
  readonly client: () => RegistryClient;
  readonly settings: () => TrustSettings;
  /** Resolves when the settings were read (after a start or a change). */
  readonly ready: () => Promise<void>;
  readonly trusted: () => boolean;
  readonly log: (line: string) => void;
  /** A fetched document's report arrived (ask for its lenses again). */
  readonly done: () => void;
}

function anyFile(s: TrustSettings): boolean {
  return s.keys.length > 0 || !!s.trustedRoot || !!s.notationConfig;
}

/** The words of one item for a row or a lens: `cosign signature: verified`. */
export function itemLine(i: SupplyChainItem): string {
  return `${i.label}: ${i.verdict ? i.verdict.text : `no signature of its own${i.summary ? ` · ${i.summary}` : ''}`}`;
}

export class SupplyChainService {
  private trustCache?: { trust: Trust; words: string; stamp: string };
  private readonly reports = new Map<string, Promise<SupplyChainReport>>();
  private readonly ready = new Map<string, SupplyChainReport>();
  private readonly refreshing = new Set<string>();
  /** Bumped by reset: a report still being made with the old trust is not kept. */
  private generation = 0;

  constructor(private readonly deps: SupplyChainDeps) {}

  /** The settings or the workspace trust changed: trust is read again, reports made again. */
  reset(): void {
    this.generation++;
    this.trustCache = undefined;
    this.reports.clear();
    this.ready.clear();
  }

  /**
   * The trust files' size and time as now ('' without files or trust): a key file replaced on
   * disk, the setting unchanged, is read again (the command line reads it on every run).
   */
  private stamp(): string {
    const s = this.deps.settings();
    if (!anyFile(s) || !this.deps.trusted()) return '';
    const files = [...s.keys, ...(s.trustedRoot ? [s.trustedRoot] : []), ...(s.notationConfig ? [s.notationConfig, join(s.notationConfig, 'trustpolicy.json')] : [])];
    return files.map((f) => {
      try {
        const st = statSync(f);
        // A device's or FIFO's times move with every write (/dev/null): it is refused anyway.
        return st.isFile() || st.isDirectory() ? `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : 'special';
      } catch (e) {
        return (e as NodeJS.ErrnoException).code ?? '?';
      }
    }).join('|');
  }

  /** Forgets the trust and the reports when a trust file changed on disk. */
  private checkFiles(): void {
    if (this.trustCache && this.trustCache.stamp !== this.stamp()) this.reset();
  }

  /** The trust from the settings, and in words; files only in a trusted workspace. */
  trust(): { trust: Trust; words: string } {
    if (this.trustCache) return this.trustCache;
    const stamp = this.stamp();
    const s = this.deps.settings();
    const none: Trust = { keys: [] };
    let out: { trust: Trust; words: string; stamp: string };
    if (!anyFile(s)) {
      out = { trust: none, words: 'no trust configured', stamp };
    } else if (!this.deps.trusted()) {
      out = { trust: none, words: 'untrusted workspace: the files in manifestLens.trust are not read (no trust configured)', stamp };
    } else {
      const id = s.identities[0];
      const t = loadTrustFiles({ keyFiles: s.keys, trustedRoot: s.trustedRoot, identity: id?.identity, issuer: id?.issuer, notationConfig: s.notationConfig }, (line) => this.deps.log(`trust: ${line}`), {
        defaultNotation: false,
        names: { key: 'manifestLens.trust.keys', trustedRoot: 'manifestLens.trust.trustedRoot', notationConfig: 'manifestLens.trust.notationConfig' },
      });
      if (typeof t === 'string') {
        this.deps.log(`trust: ${t}`);
        out = { trust: none, words: `not read: ${t} (no trust configured)`, stamp };
      } else {
        const extra = s.identities.length > 1 ? ` (${Math.min(s.identities.length, 8)} identities)` : '';
        out = { trust: t, words: hasTrust(t) ? trustWords(t) + extra : 'no trust configured', stamp };
      }
    }
    this.trustCache = out;
    return out;
  }

  /** What is attached to a manifest, each item with the URI that opens its decoded payload. */
  report(p: ExplorerSupplyChainParams, signal?: AbortSignal, served?: { readonly mediaType: string; readonly bytes: Uint8Array }): Promise<SupplyChainReport> {
    this.checkFiles();
    const key = `${p.registry}/${p.repository}@${p.digest}|${p.index ?? ''}`;
    let r = this.reports.get(key);
    if (!r) {
      const made = this.make(p, signal, served);
      r = made;
      this.reports.set(key, made);
      // Kept for the lenses only while no reset came between (the trust it was made with is gone).
      made.then((v) => {
        if (this.reports.get(key) === made) this.ready.set(key, v);
      }, () => {
        if (this.reports.get(key) === made) this.reports.delete(key);
      });
    }
    return r;
  }

  private async make(p: ExplorerSupplyChainParams, signal?: AbortSignal, served?: { readonly mediaType: string; readonly bytes: Uint8Array }): Promise<SupplyChainReport> {
    const generation = this.generation;
    const client = holdingClient(this.deps.client());
    const ref = referenceWithDigest(parseReference(`${p.registry}/${p.repository}@${p.digest}`), p.digest);
    await this.deps.ready().catch(() => undefined);
    // A fetched document's bytes are its (verified) manifest: not asked for again.
    const m = served ? { mediaType: served.mediaType, digest: p.digest, bytes: served.bytes } : await client.getManifest(ref, { signal });
    const parent = p.index ? { digest: p.index, bytes: (await client.getManifest(referenceWithDigest(ref, p.index), { signal })).bytes } : undefined;
    const { trust, words } = this.trust();
    const subject = { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, bytes: m.bytes };
    let r = await supplyChainReport(client, ref, subject, trust, parent, words);
    // Each further identity is tried for the keyless signatures the first did not verify.
    const others = trust.trustedRoot ? this.deps.settings().identities.slice(1, 8) : [];
    const good = (k?: string): boolean => k === 'verified' || k === 'valid-no-tlog';
    for (const id of others) {
      if (r.items.every((i) => !i.verdict || good(i.verdict.kind))) break;
      const again = await supplyChainReport(client, ref, subject, { ...trust, identity: id.identity, issuer: id.issuer }, parent, words);
      if (again.items.length !== r.items.length) continue;
      r = { ...r, items: r.items.map((i, n) => (!good(i.verdict?.kind) && good(again.items[n].verdict?.kind) && again.items[n].where === i.where ? again.items[n] : i)) };
    }
    // The trust changed meanwhile (a key removed): made again with the trust of now.
    if (generation !== this.generation) return this.make(p, signal, served);
    return {
      ...r,
      items: r.items.map((i) => (i.manifest && i.layer !== undefined && /^sha256:[0-9a-f]{64}$/.test(i.manifest)
        ? { ...i, uri: remoteUri({ registry: p.registry, repository: p.repository, ref: i.manifest, kind: 'payload', layer: i.layer, raw: false }) }
        : i)),
    };
  }

  /**
   * Waits (at most `ms`) for a fetched manifest's report, so that its lenses come with the first
   * answer and the client is not asked to refresh them (a refresh right after a document opened
   * lost a child's lenses in VS Code: see git log). A slower registry gets "reading…" and a refresh.
   */
  async settle(f: Fetched | undefined, ms = 2000): Promise<void> {
    if (!f || this.forFetched(f, false) !== 'loading') return;
    const key = `${f.target.registry}/${f.target.repository}@${f.digest}|`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.reports.get(key)?.catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  /** The report of a fetched manifest when it is ready; asks for it (once) otherwise. */
  private forFetched(f: Fetched, refreshWhenDone = true): SupplyChainReport | 'loading' | undefined {
    if (f.target.kind !== 'manifest' || !/^sha256:[0-9a-f]{64}$/.test(f.digest)) return undefined;
    const p = { registry: f.target.registry, repository: f.target.repository, digest: f.digest };
    const key = `${p.registry}/${p.repository}@${p.digest}|`;
    this.checkFiles();
    const ready = this.ready.get(key);
    if (ready) return ready;
    if (!this.reports.has(key)) {
      this.report(p, undefined, { mediaType: f.contentType ? f.contentType.split(';')[0].trim() : mediaTypeOf(f.bytes), bytes: f.bytes }).catch((e: unknown) => this.deps.log(`signatures of ${p.digest}: ${e instanceof Error ? e.message : String(e)}`));
    }
    // Answered "reading…": the client asks again once the report is there.
    if (refreshWhenDone && !this.refreshing.has(key)) {
      this.refreshing.add(key);
      this.reports.get(key)?.then(() => this.deps.done(), () => undefined).finally(() => this.refreshing.delete(key));
    }
    return 'loading';
  }

  /**
   * The lenses of a fetched manifest: one per signature (its kind and verdict) on the line of the
   * document's second field, one per attestation on the third's (the first few; the top hover
   * has them all). Not on the top line: the provenance lenses fill it.
   */
  codeLenses(doc: TextDocument, analysis: Analysis, f: Fetched | undefined): CodeLens[] {
    if (!f) return [];
    const r = this.forFetched(f);
    if (!r) return [];
    const fields = analysis.root?.children ?? [];
    const lineOf = (i: number): number => (fields[i] ? doc.positionAt(fields[i].offset).line : fields.length ? doc.positionAt(fields[fields.length - 1].offset).line : 0);
    const at = (line: number) => ({ start: { line, character: 0 }, end: { line, character: 0 } });
    const signed = at(lineOf(1));
    const attested = at(lineOf(2));
    if (r === 'loading') return [{ range: signed, command: { title: 'Signatures and attestations: reading…', command: '' } }];
    if (r.items.length === 0) return [{ range: signed, command: { title: r.problems.length ? `Signatures and attestations: not read (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}, see the top hover)` : 'No signatures or attestations', command: '' } }];
    const lens = (i: SupplyChainItem, range: ReturnType<typeof at>): CodeLens => {
      // Registry text on one line, and no `$(icon)` of its own: a lens title renders them.
      const title = `$(${i.verdict ? 'shield' : 'note'}) ${cut(oneLine(itemLine(i)), 100).replace(/\$\(/g, '\\$(')}`;
      return { range, command: i.uri ? { title, command: 'manifestLens.openRemote', arguments: [i.uri] } : { title, command: '' } };
    };
    const lenses: CodeLens[] = [
      ...r.items.filter((i) => i.verdict).slice(0, MAX_ITEM_LENSES).map((i) => lens(i, signed)),
      ...r.items.filter((i) => !i.verdict).slice(0, MAX_ITEM_LENSES).map((i) => lens(i, attested)),
    ];
    if (r.items.length > lenses.length) lenses.push({ range: attested, command: { title: `… ${r.items.length - lenses.length} more (see the top hover)`, command: '' } });
    return lenses;
  }

  /** The top hover's section: each item with its facts, registry text escaped. */
  hoverSection(f: Fetched | undefined): string {
    if (!f) return '';
    const r = this.forFetched(f);
    if (!r || r === 'loading') return '';
    const lines = ['', '---', '', `**Signatures and attestations** (trust: ${escapeMarkdown(oneLine(r.trust))})`, ''];
    if (r.items.length === 0) lines.push('- none found (cosign tags, referrers)');
    for (const i of r.items.slice(0, 20)) {
      lines.push(`- **${escapeMarkdown(i.label)}**: ${escapeMarkdown(oneLine(verdictWords(i)))}${i.verdict?.by ? ` (by ${escapeMarkdown(oneLine(i.verdict.by))})` : ''}`);
      if (i.predicateType) lines.push(`  - predicate: ${codeSpan(oneLine(i.predicateType))}`);
      if (i.summary) lines.push(`  - ${escapeMarkdown(oneLine(i.summary))}`);
      if (i.signer) lines.push(`  - signer: ${escapeMarkdown(oneLine(i.signer))}`);
      if (i.signedAt) lines.push(`  - signed: ${escapeMarkdown(oneLine(i.signedAt.time))} (${signedAtSource(i.signedAt.source)})`);
      if (i.logIndex) lines.push(`  - log index: ${escapeMarkdown(oneLine(i.logIndex))}`);
      lines.push(`  - ${codeSpan(oneLine(i.where))}`);
    }
    if (r.items.length > 20) lines.push(`- … ${r.items.length - 20} more`);
    for (const p of r.problems.slice(0, 5)) lines.push(`- problem: ${escapeMarkdown(oneLine(p))}`);
    return lines.join('\n');
  }
}

/** Registry text on one line: control characters, line breaks and bidi controls (which reorder what is shown) as spaces. */
function oneLine(text: string): string {
  return oneLineText(text).trim();
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The `mediaType` field of a manifest's bytes ('' when it has none). */
function mediaTypeOf(bytes: Uint8Array): string {
  try {
    const v = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType?: unknown }).mediaType;
    return typeof v === 'string' ? v : '';
  } catch {
    return '';
  }
}
