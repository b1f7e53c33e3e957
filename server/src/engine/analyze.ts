/**
 * analyze(text) → the document's kind and its findings. The single entry point of the engine
 * for diagnostics; hovers, completions and fixes work from its result.
 */
import { detectKind, type Detection, type DocumentKind } from './documentKind';
import { elements, parseJson, valueOf, type Node, type SyntaxError } from './json';
import { RULES, RULES_BY_ID } from './ruleTable';
import { PlainDetector } from './plain';
import { damagedContainers, trustedFinding } from './recover';
import { TapeNode, type Tape } from './tape';
import type { DescriptorRole, DocumentContext, DescriptorSite, Finding, PlainFacts, ReportOptions, Rule, RuleContext, Severity } from './types';
import { SEVERITY_ORDER } from './types';

export type RuleSetting = Severity | 'off';

export interface AnalyzeOptions {
  /** The registry's Content-Type, for fetched documents: enables the fetched-only rules. */
  readonly contentType?: string;
  /** Per-rule severity overrides, e.g. `{ "mixed-layer-in-oci-manifest": "error" }`. */
  readonly rules?: Readonly<Record<string, RuleSetting>>;
  /** Stop after this many findings (the rest are counted, not kept). */
  readonly maxFindings?: number;
  /** Parse and classify only, no rules: for answering a hover while a large document is being relinted. */
  readonly parseOnly?: boolean;
  /**
   * Let per-entry rules skip plain descriptors (engine/plain.ts). On by default; the
   * equivalence test turns it off to compare.
   */
  readonly plainEntries?: boolean;
  /**
   * Lint the tree jsonc-parser recovers from text with syntax errors (the editor, while the user
   * types), keeping only findings the damage cannot have caused (engine/recover.ts). Off for the
   * CLI, which reports the syntax error instead.
   */
  readonly recover?: boolean;
  /** Where the document sits, when the caller knows (rules read it as `ctx.context`). */
  readonly context?: DocumentContext;
}

export interface Analysis {
  readonly text: string;
  readonly root: Node | undefined;
  readonly syntaxErrors: readonly SyntaxError[];
  readonly detection: Detection;
  readonly kind: DocumentKind;
  readonly descriptors: readonly DescriptorSite[];
  readonly findings: readonly Finding[];
  /** Findings past maxFindings that were dropped. */
  readonly truncated: number;
  /** The most severe of the dropped findings (a command line's exit code depends on it). */
  readonly truncatedWorst?: Severity;
  /** Whether the rules ran (not for a document with syntax errors unless recovering, nor a parse-only analysis). */
  readonly linted: boolean;
  /**
   * With `recover` on text with syntax errors: the containers the errors fall in. Findings that
   * may depend on them were left out; the editor shows the previous version's there instead.
   */
  readonly damaged?: readonly Node[];
}

/**
 * A descriptor's place in the document. Sites of a document parsed onto the tape make their
 * node and label when first asked: a 20,000-entry index has 20,000 sites, and the rules read
 * the nodes of only the entries that are not plain.
 */
export class Site implements DescriptorSite {
  plain: PlainFacts | undefined = undefined;
  private n: Node | undefined;
  private l: string | undefined;

  constructor(
    node: Node | undefined,
    /** The tape and slot of the node, when it is made on demand (slot -1 otherwise). */
    readonly tape: Tape | undefined,
    readonly slot: number,
    readonly role: DescriptorRole,
    readonly index: number | undefined,
    /** `layers` for `layers[2]`; undefined when the label is given. */
    private readonly listKey: string | undefined,
    label: string | undefined,
  ) {
    this.n = node;
    this.l = label;
  }

  get node(): Node {
    return (this.n ??= this.tape!.node(this.slot));
  }

  get label(): string {
    return (this.l ??= `${this.listKey}[${this.index}]`);
  }

  get start(): number {
    return this.tape ? this.tape.start[this.slot] : this.node.offset;
  }
}

/** The descriptors of a document with their roles. */
export function collectDescriptors(root: Node, kind: DocumentKind): DescriptorSite[] {
  const out: DescriptorSite[] = [];
  const one = (node: Node, role: DescriptorRole, label: string): void => {
    out.push(new Site(node, undefined, -1, role, undefined, undefined, label));
  };
  const list = (key: string, role: DescriptorRole): void => {
    const array = valueOf(root, key);
    if (array instanceof TapeNode) {
      if (array.type !== 'array') return;
      const tape = array.tape;
      let index = 0;
      for (let k = tape.first[array.index]; k !== -1; k = tape.next[k]) out.push(new Site(undefined, tape, k, role, index++, key, undefined));
      return;
    }
    elements(array).forEach((node, index) => out.push(new Site(node, undefined, -1, role, index, key, undefined)));
  };
  switch (kind) {
    case 'oci-manifest':
    case 'docker-manifest': {
      const config = valueOf(root, 'config');
      if (config) one(config, 'config', 'config');
      list('layers', 'layer');
      break;
    }
    case 'artifact-manifest':
      list('blobs', 'blob');
      break;
    case 'oci-index':
    case 'docker-list':
      list('manifests', 'manifest');
      break;
    case 'descriptor':
      one(root, 'self', 'descriptor');
      break;
    default:
      break;
  }
  const subject = kind === 'descriptor' ? undefined : valueOf(root, 'subject');
  if (subject) one(subject, 'subject', 'subject');
  return out;
}

export function analyze(text: string, options: AnalyzeOptions = {}): Analysis {
  const parsed = parseJson(text);
  const detection = detectKind(parsed.root, options.contentType);
  const kind = detection.kind;
  const root = parsed.root;
  const base = { text, root, syntaxErrors: parsed.errors, detection, kind };
  // A document that does not parse is the JSON language's to report: linting a partial tree
  // would report fields as missing that are only beyond the syntax error. With `recover`, the
  // recovered tree is linted and what the damage may have caused is left out.
  const recovering = options.recover === true && parsed.errors.length > 0 && !parsed.errors.some((e) => e.tooDeep);
  if (!root || parsed.errors.length > 0 && !recovering || kind === 'unknown' && !options.contentType || options.parseOnly) {
    if (root && options.parseOnly && parsed.errors.length === 0) return { ...base, descriptors: collectDescriptors(root, kind), findings: [], truncated: 0, linted: false };
    return { ...base, descriptors: [], findings: [], truncated: 0, linted: false };
  }
  const { all: descriptors, notPlain } = markPlain(collectDescriptors(root, kind), root, kind, options.plainEntries !== false);
  const { findings, truncated, truncatedWorst } = runRules({ text, root, detection, kind }, descriptors, notPlain, options);
  const worst = truncatedWorst ? { truncatedWorst } : {};
  if (recovering) {
    const damaged = damagedContainers(root, parsed.errors);
    const trusted = findings.map((f) => trustedFinding(root, damaged, f)).filter((f): f is Finding => f !== undefined);
    trusted.sort(byPlace);
    return { ...base, descriptors, findings: trusted, truncated, ...worst, linted: true, damaged };
  }
  findings.sort(byPlace);
  return { ...base, descriptors, findings, truncated, ...worst, linted: true };
}

interface Linted {
  readonly findings: Finding[];
  readonly truncated: number;
  readonly truncatedWorst?: Severity;
}

/**
 * Runs the rules: a rule with `crossEntry` sees `descriptors`, every other rule `perEntry` (the
 * descriptors that are not plain; for a relint of one entry, that entry or nothing).
 */
export function runRules(doc: { text: string; root: Node; detection: Detection; kind: DocumentKind }, descriptors: readonly DescriptorSite[], perEntry: readonly DescriptorSite[], options: AnalyzeOptions): Linted {
  const { text, root, detection, kind } = doc;
  const findings: Finding[] = [];
  const max = options.maxFindings ?? Infinity;
  let truncated = 0;
  let truncatedWorst: Severity | undefined;
  const fetched = options.contentType !== undefined;
  // Values computed from the descriptors are shared among the rules that see the same ones.
  const memos = new Map<readonly DescriptorSite[], Map<string, unknown>>([[descriptors, new Map()], [perEntry, new Map()]]);
  const memoFor = (view: readonly DescriptorSite[]) => <T>(key: string, compute: () => T): T => {
    const m = memos.get(view)!;
    if (!m.has(key)) m.set(key, compute());
    return m.get(key) as T;
  };
  const memoAll = memoFor(descriptors);
  const memoPerEntry = memoFor(perEntry);

  for (const rule of RULES) {
    const setting = options.rules?.[rule.id];
    if (setting === 'off') continue;
    if (rule.fetchedOnly && !fetched) continue;
    if (!rule.appliesTo.includes(kind)) continue;
    const push = (offset: number, length: number, message: string, o: ReportOptions = {}): void => {
      if (findings.length >= max) {
        truncated++;
        const severity = setting ?? o.severity ?? rule.severity;
        if (!truncatedWorst || SEVERITY_ORDER[severity] < SEVERITY_ORDER[truncatedWorst]) truncatedWorst = severity;
        return;
      }
      findings.push({
        ruleId: rule.id,
        severity: setting ?? o.severity ?? rule.severity,
        message,
        offset,
        length,
        fixes: o.fixes ?? [],
        conversions: o.conversions,
      });
    };
    const cross = rule.crossEntry === true;
    const ctx: RuleContext = {
      text, root, detection, kind, descriptors: cross ? descriptors : perEntry, contentType: options.contentType, context: options.context, memo: cross ? memoAll : memoPerEntry,
      report: (node, message, o) => push(node.offset, node.length, message, o),
      reportAt: push,
    };
    runRule(rule, ctx);
  }
  return { findings, truncated, truncatedWorst };
}

/** Findings in document order, the most severe first at one place. */
export function byPlace(a: Finding, b: Finding): number {
  return a.offset - b.offset || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity];
}

/**
 * Marks the plain descriptors (engine/plain.ts) and returns all of them and the others. Only a
 * document parsed onto the tape has them; the jsonc-parser fallback only runs for documents
 * with syntax errors, linted (with `recover`) entry by entry without the fast path.
 */
function markPlain(sites: DescriptorSite[], root: Node, kind: DocumentKind, enabled: boolean): { all: DescriptorSite[]; notPlain: DescriptorSite[] } {
  if (!enabled || !(root instanceof TapeNode)) return { all: sites, notPlain: sites };
  const detector = new PlainDetector(root.tape, kind);
  const notPlain: DescriptorSite[] = [];
  for (const site of sites) {
    const plain = site instanceof Site && site.slot >= 0 ? detector.facts(site.slot, site.role) : undefined;
    if (plain) (site as Site).plain = plain;
    else notPlain.push(site);
  }
  return { all: sites, notPlain };
}

/** A rule that throws must not take the others down; it becomes a finding of its own. */
function runRule(rule: Rule, ctx: RuleContext): void {
  try {
    rule.check(ctx);
  } catch (err) {
    ctx.reportAt(0, 0, `internal error in rule ${rule.id}: ${err instanceof Error ? err.message : String(err)}`, { severity: 'hint' });
  }
}

export { RULES, RULES_BY_ID };
