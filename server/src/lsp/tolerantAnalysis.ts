/**
 * Error tolerance for the editor (issue 12): a version that does not parse keeps the problems
 * away from the broken spot. Kept apart from the scheduling in analysisService.ts on purpose.
 */
import { analyze, byPlace, type Analysis, type AnalyzeOptions } from '../engine/analyze';
import { mergeWithPrevious } from '../engine/recover';

/**
 * From this size on (characters) a broken version is not relinted from a recovered tree
 * (jsonc-parser's tree and no plain-entry fast path cost seconds on a 20,000-entry index): the
 * previous version's findings are moved through the edit instead.
 */
export const RECOVER_LIMIT = 1024 * 1024;

/**
 * analyze(), and for text with syntax errors: the trusted findings of the recovered tree plus
 * the previous version's findings, moved through the edit, where the damage hides the answer.
 */
export function analyzeTolerant(text: string, options: AnalyzeOptions, previous: Analysis | undefined): Analysis {
  const small = text.length < RECOVER_LIMIT;
  const a = analyze(text, { ...options, recover: small });
  if (a.syntaxErrors.length === 0 || a.syntaxErrors.some((e) => e.tooDeep) || !previous || !previous.linted) return a;
  // A recovered tree that could not be linted (its kind unreadable while the top-level mediaType
  // is being typed, or too large) decides nothing: every previous finding is moved through the edit.
  const decides = small && a.linted && a.damaged !== undefined;
  const findings = mergeWithPrevious({ text, root: decides ? a.root : undefined, damaged: a.damaged ?? [], findings: a.findings }, previous);
  return { ...a, findings: findings.sort(byPlace), linted: true };
}
