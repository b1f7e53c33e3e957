/**
 * The relint of one edited entry (issue 25): a keystroke inside one descriptor of a large index
 * or manifest re-parses that descriptor alone and splices it into the previous version's tape,
 * and the plain-entry pass (engine/plain.ts) looks at that descriptor alone, the others keeping
 * their facts; then the rules run as in a full lint. The result is the analysis `analyze(text)`
 * gives, tape included (test/engine/reanalyze.test.ts compares both over chains of random
 * edits); when that cannot be shown cheaply, `reanalyze` answers undefined and the caller runs
 * the full lint.
 *
 * Why the reuse is sound: a JSON value is parsed from its own characters alone, so a text that
 * differs only inside one entry, whose new text is one object on its own, parses onto the same
 * tape but for that entry's slots; and whether a descriptor is plain, and its facts, depend on
 * its own text and the document's kind only.
 *
 * Findings are not reused: some per-entry rules judge the document from all of its non-plain
 * entries (artifact-config-is-image-config names the first layer that is not a filesystem
 * layer), and the rules over the facts of 20,000 plain entries cost less than the parse saved.
 */
import { byPlace, runRules, Site, collectDescriptors, type Analysis, type AnalyzeOptions } from './analyze';
import { detectKind } from './documentKind';
import { nestsDeeperThan } from './nesting';
import { PlainDetector } from './plain';
import { MAX_DEPTH, OBJECT, TapeNode, tapeParse, TYPE_MASK } from './tape';
import type { PlainFacts } from './types';

/** One change of the text: the old text's [start, oldEnd) is the new text's [start, newEnd). */
export interface EditSpan {
  readonly start: number;
  readonly oldEnd: number;
  readonly newEnd: number;
}

/** The list descriptors (manifests[i], layers[i], blobs[i]) of an analysis, in document order. */
function listSites(a: Analysis): Site[] {
  const out: Site[] = [];
  for (const d of a.descriptors) if (d instanceof Site && d.slot >= 0) out.push(d);
  return out;
}

/**
 * A string equal to `s` that holds no reference to the text it was cut from. V8 makes a slice
 * of 13 characters or more (a digest, an os.version, a ref.name) a view of the whole text; the
 * facts of an entry outlive the version they were read from (each relint keeps the others'),
 * so a view would keep that version's whole text alive: typing in 30 entries of an 8 MB index
 * kept 30 texts, 260 MB (test/engine/reanalyzeAttack.test.ts).
 */
function own(s: string): string;
function own(s: string | undefined): string | undefined;
function own(s: string | undefined): string | undefined {
  return s === undefined || s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/** Facts whose strings are the entry's own (see {@link own}). */
function detached(facts: PlainFacts | undefined): PlainFacts | undefined {
  if (!facts) return undefined;
  const p = facts.platform;
  return {
    ...facts,
    digest: own(facts.digest),
    refName: own(facts.refName),
    platform: p && { os: own(p.os), architecture: own(p.architecture), variant: own(p.variant), osVersion: own(p.osVersion) },
  };
}

/** The last site starting at or before `offset` (sites in document order), or -1. */
function siteAt(sites: readonly Site[], offset: number): number {
  let low = 0;
  let high = sites.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sites[mid].tape!.start[sites[mid].slot] > offset) high = mid;
    else low = mid + 1;
  }
  return low - 1;
}

/** The entry a change is inside of, and that entry's new text parsed alone. */
interface EditedEntry {
  readonly site: Site;
  readonly sub: TapeNode;
  readonly delta: number;
}

/**
 * The list descriptor of `previous` that `edit` lies strictly inside of (braces excluded), with
 * its new text parsed alone, when that text is one object, nested no deeper than the whole
 * document may be; otherwise undefined. Then the whole text parses, onto the same tape but for
 * this entry's slots.
 */
function editedEntry(previous: Analysis, text: string, edit: EditSpan, options: AnalyzeOptions): EditedEntry | undefined {
  if (!previous.linted || previous.syntaxErrors.length > 0 || previous.damaged) return undefined;
  if (!(previous.root instanceof TapeNode) || options.parseOnly || options.plainEntries === false) return undefined;
  const delta = edit.newEnd - edit.oldEnd;
  if (text.length - previous.text.length !== delta || edit.start > edit.oldEnd || edit.start > edit.newEnd) return undefined;
  const sites = listSites(previous);
  const k = siteAt(sites, edit.start);
  if (k < 0) return undefined;
  const site = sites[k];
  const tape = site.tape!;
  const from = tape.start[site.slot];
  const to = tape.end[site.slot];
  if ((tape.type[site.slot] & TYPE_MASK) !== OBJECT || !(edit.start > from && edit.oldEnd < to)) return undefined;
  const entryText = text.slice(from, to + delta);
  if (nestsDeeperThan(entryText, MAX_DEPTH - 8)) return undefined;
  const sub = tapeParse(entryText);
  if (!(sub instanceof TapeNode) || sub.type !== 'object') return undefined;
  return { site, sub, delta };
}

/**
 * Whether {@link reanalyze} can take this change: it lies inside one entry and leaves it one
 * object (the scheduler's question: such a relint costs a fraction of a full lint).
 */
export function canReanalyze(previous: Analysis, text: string, edit: EditSpan, options: AnalyzeOptions = {}): boolean {
  return editedEntry(previous, text, edit, options) !== undefined;
}

/**
 * The analysis of `text`, which is `previous.text` with one span changed, when the change lies
 * inside one list descriptor of a well-formed document and leaves it one object; otherwise
 * undefined. `options` must be those `previous` was made with.
 */
export function reanalyze(previous: Analysis, text: string, edit: EditSpan, options: AnalyzeOptions = {}): Analysis | undefined {
  const found = editedEntry(previous, text, edit, options);
  if (!found) return undefined;
  const { site, sub, delta } = found;
  const tape = site.tape!;
  const spliced = tape.splice(text, site.slot, sub.tape, delta);
  const root = spliced.node(0);

  const detection = detectKind(root, options.contentType);
  if (JSON.stringify(detection) !== JSON.stringify(previous.detection)) return undefined;
  const kind = detection.kind;
  const descriptors = collectDescriptors(root, kind);
  if (descriptors.length !== previous.descriptors.length) return undefined;

  // Facts of plain entries: the previous ones; the edited entry's, found again.
  let edited: Site | undefined;
  for (let i = 0; i < descriptors.length; i++) {
    const now = descriptors[i];
    const before = previous.descriptors[i];
    if (!(now instanceof Site) || now.slot < 0) continue;
    if (!(before instanceof Site) || before.role !== now.role) return undefined;
    if (before === site) {
      edited = now;
      now.plain = detached(new PlainDetector(spliced, kind).facts(now.slot, now.role));
    } else {
      now.plain = before.plain; // relative to the entry: they hold where it moved
    }
  }
  if (!edited) return undefined;

  // The rules run as in a full lint; only the parse and the plain-entry pass were saved.
  const perEntry = descriptors.filter((d) => !d.plain);
  const { findings, truncated, truncatedWorst } = runRules({ text, root, detection, kind }, descriptors, perEntry, options);
  findings.sort(byPlace);
  return { text, root, syntaxErrors: [], detection, kind, descriptors, findings, truncated, ...(truncatedWorst ? { truncatedWorst } : {}), linted: true };
}
