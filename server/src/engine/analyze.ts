/**
 * analyze(text) → the document's kind and its findings. The single entry point of the engine
 * for diagnostics; hovers, completions and fixes work from its result.
 */
import { detectKind, type Detection, type DocumentKind } from './documentKind';
import { elements, parseJson, valueOf, type Node, type SyntaxError } from './json';
import { RULES, RULES_BY_ID } from './ruleTable';
import type { DescriptorSite, Finding, ReportOptions, Rule, RuleContext, Severity } from './types';
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
  /** Whether the rules ran (not for a document with syntax errors, nor a parse-only analysis). */
  readonly linted: boolean;
}

/** The descriptors of a document with their roles. */
export function collectDescriptors(root: Node, kind: DocumentKind): DescriptorSite[] {
  const out: DescriptorSite[] = [];
  const list = (key: string, role: DescriptorSite['role']): void => {
    elements(valueOf(root, key)).forEach((node, index) => out.push({ node, role, index, label: `${key}[${index}]` }));
  };
  switch (kind) {
    case 'oci-manifest':
    case 'docker-manifest': {
      const config = valueOf(root, 'config');
      if (config) out.push({ node: config, role: 'config', label: 'config' });
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
      out.push({ node: root, role: 'self', label: 'descriptor' });
      break;
    default:
      break;
  }
  const subject = kind === 'descriptor' ? undefined : valueOf(root, 'subject');
  if (subject) out.push({ node: subject, role: 'subject', label: 'subject' });
  return out;
}

export function analyze(text: string, options: AnalyzeOptions = {}): Analysis {
  const parsed = parseJson(text);
  const detection = detectKind(parsed.root, options.contentType);
  const kind = detection.kind;
  const root = parsed.root;
  const base = { text, root, syntaxErrors: parsed.errors, detection, kind };
  // A document that does not parse is the JSON language's to report: linting a partial tree
  // would report fields as missing that are only beyond the syntax error.
  if (!root || parsed.errors.length > 0 || kind === 'unknown' && !options.contentType || options.parseOnly) {
    if (root && options.parseOnly && parsed.errors.length === 0) return { ...base, descriptors: collectDescriptors(root, kind), findings: [], truncated: 0, linted: false };
    return { ...base, descriptors: [], findings: [], truncated: 0, linted: false };
  }
  const descriptors = collectDescriptors(root, kind);
  const findings: Finding[] = [];
  const max = options.maxFindings ?? Infinity;
  let truncated = 0;
  const fetched = options.contentType !== undefined;
  const memos = new Map<string, unknown>();
  const memo = <T>(key: string, compute: () => T): T => {
    if (!memos.has(key)) memos.set(key, compute());
    return memos.get(key) as T;
  };

  for (const rule of RULES) {
    const setting = options.rules?.[rule.id];
    if (setting === 'off') continue;
    if (rule.fetchedOnly && !fetched) continue;
    if (!rule.appliesTo.includes(kind)) continue;
    const push = (offset: number, length: number, message: string, o: ReportOptions = {}): void => {
      if (findings.length >= max) { truncated++; return; }
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
    const ctx: RuleContext = {
      text, root, detection, kind, descriptors, contentType: options.contentType, memo,
      report: (node, message, o) => push(node.offset, node.length, message, o),
      reportAt: push,
    };
    runRule(rule, ctx);
  }
  findings.sort((a, b) => a.offset - b.offset || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  return { ...base, descriptors, findings, truncated, linted: true };
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
