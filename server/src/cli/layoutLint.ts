/**
 * `lint DIR` on an OCI image layout: every document of the layout (oci-layout, index.json, each
 * JSON blob reachable from it) linted by the engine, plus what only the folder can tell — a
 * missing blob, a blob whose bytes do not hash to its name, a size or a mediaType that
 * disagrees with the blob, unreferenced blobs — each reported on the descriptor that points at
 * the blob and naming it by its digest. Every blob is hashed, streamed.
 */
import { join } from 'node:path';
import type { AnalyzeOptions } from '../engine/analyze';
import { withRuleSettings } from '../engine/layoutFindings';
import { lineStarts, positionAt } from '../engine/position';
import { adjustEngineFinding, layoutOnlyFindings, verifyPendingSync, walkLayout, type LayoutSnapshot } from '../layout/layout';
import { SEVERITY_ORDER } from '../engine/types';
import { lintBytes, MAX_FINDINGS, type LintFileResult } from './lint';

export { isLayoutDir, looksLikeLayout } from '../layout/layout';

/** Lints a layout folder; `dir` as the user gave it prefixes every file name. Never throws. */
export function lintLayout(dir: string, options: AnalyzeOptions = {}): LintFileResult[] {
  const snapshot = walkLayout(dir, options);
  verifyPendingSync(snapshot);
  return layoutResults(dir, snapshot, options);
}

/** The snapshot as CLI results, one per document (index.json first). */
export function layoutResults(dir: string, snapshot: LayoutSnapshot, options: AnalyzeOptions = {}): LintFileResult[] {
  const results: LintFileResult[] = [];
  const docs = [...snapshot.documents].sort((a, b) => order(a.rel) - order(b.rel));
  if (!docs.some((d) => d.rel === 'index.json')) {
    const problem = snapshot.problems.find((p) => p.startsWith('index.json')) ?? 'index.json is missing: not an OCI image layout';
    const findings = withRuleSettings([{ ruleId: 'layout-invalid', severity: 'error' as const, message: problem, line: 1, column: 1, endLine: 1, endColumn: 1 }], options.rules);
    results.push({ file: join(dir, 'index.json'), kind: 'unknown', findings });
  }
  for (const doc of docs) {
    const file = join(dir, doc.rel);
    const base = lintBytes(file, Buffer.from(doc.text, 'utf8'), doc.rel === 'index.json' ? { ...options, context: 'layout-index' } : options);
    const starts = lineStarts(doc.text);
    const extra = withRuleSettings(layoutOnlyFindings(snapshot, doc.rel, doc.analysis), options.rules).map((f) => {
      const s = positionAt(starts, f.offset);
      const e = positionAt(starts, f.offset + f.length);
      return { ruleId: f.ruleId, severity: f.severity, message: f.message, line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
    });
    const all = [...base.findings.flatMap((f) => adjustEngineFinding(doc.rel, f) ?? []), ...extra];
    results.push({ file, kind: base.kind, ...capped(all, base.omitted) });
  }
  return results;
}

/**
 * At most MAX_FINDINGS findings for one document, the most severe kept, and the rest counted
 * (with what the engine already left out): the layout's own findings come on top of the
 * engine's capped ones, and an index.json of 100,000 entries must not print 100,000 lines.
 */
function capped(all: LintFileResult['findings'][number][], before: LintFileResult['omitted']): Pick<LintFileResult, 'findings' | 'omitted'> {
  const byPlace = (a: { line: number; column: number }, b: { line: number; column: number }): number => a.line - b.line || a.column - b.column;
  if (all.length <= MAX_FINDINGS) return { findings: all.sort(byPlace), ...(before ? { omitted: before } : {}) };
  const ranked = all.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || byPlace(a, b));
  const rest = ranked.slice(MAX_FINDINGS);
  let worst = before?.worst ?? rest[0].severity;
  if (SEVERITY_ORDER[rest[0].severity] < SEVERITY_ORDER[worst]) worst = rest[0].severity;
  return { findings: ranked.slice(0, MAX_FINDINGS).sort(byPlace), omitted: { count: (before?.count ?? 0) + rest.length, worst } };
}

function order(rel: string): number {
  return rel === 'oci-layout' ? 0 : rel === 'index.json' ? 1 : 2;
}
