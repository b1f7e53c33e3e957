/**
 * Output formats of `lint` for build pipelines besides text and JSON: SARIF 2.1.0 (GitHub code
 * scanning, GitLab, Azure DevOps read it) and GitHub Actions workflow commands (annotations on
 * the pull request's diff).
 */
import { KIND_TITLES } from '../engine/documentKind';
import { LAYOUT_CHECKS } from '../engine/layoutFindings';
import { RULES_BY_ID } from '../engine/ruleTable';
import type { Severity } from '../engine/types';
import type { LintFileResult } from './lint';
import { terminalSafe } from './terminalText';
import { FILE_PROBLEMS } from '../engine/fileProblems';
import { SARIF_LEVEL, sarifLog } from '../engine/sarif';

/** Ids the CLI reports that are not rules of the table (the file could not be linted): engine/fileProblems.ts. */
export { FILE_PROBLEMS };

/** A SARIF 2.1.0 log with one run: the rules that fired, and a result per finding. */
export function toSarif(results: readonly LintFileResult[], version: string): object {
  const ids = [...new Set(results.flatMap((r) => r.findings.map((f) => f.ruleId)))].sort();
  const ruleOf = (id: string): object => {
    const rule = RULES_BY_ID.get(id);
    const check = LAYOUT_CHECKS[id];
    if (check) {
      return {
        id,
        shortDescription: { text: check.description },
        fullDescription: { text: check.why },
        help: { text: `${check.why}\nSource: ${check.source}` },
        defaultConfiguration: { level: SARIF_LEVEL[check.severity] },
      };
    }
    if (!rule) return { id, shortDescription: { text: FILE_PROBLEMS[id] ?? id }, defaultConfiguration: { level: 'error' } };
    return {
      id,
      shortDescription: { text: rule.description },
      fullDescription: { text: rule.why },
      ...(rule.specUrl ? { helpUri: rule.specUrl } : {}),
      help: { text: `${rule.why}\nSource: ${rule.source}${rule.fix ? `\nQuick-fix in the editor: ${rule.fix}` : ''}` },
      defaultConfiguration: { level: SARIF_LEVEL[rule.severity] },
      properties: { appliesTo: rule.appliesTo.map((k) => KIND_TITLES[k]), severity: rule.severity },
    };
  };
  return sarifLog(version, ids, ruleOf, (ruleIndex) => results.flatMap((r) => r.findings.map((f) => ({
    ruleId: f.ruleId,
    ruleIndex: ruleIndex(f.ruleId),
    level: SARIF_LEVEL[f.severity],
    message: { text: f.message },
    locations: [{
      physicalLocation: {
        // A URI reference: forward slashes, and spaces or <stdin> percent-encoded.
        artifactLocation: { uri: encodeURI(r.file.split('\\').join('/')) },
        region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
      },
    }],
    properties: { severity: f.severity, documentKind: r.kind },
  }))));
}

const GITHUB_COMMAND: Readonly<Record<Severity, string>> = { error: 'error', warning: 'warning', info: 'notice', hint: 'notice' };

/**
 * Escapes for a workflow command's message and for its property values: the format's own
 * (`%25`, `%0D`, `%0A`), then the other control and bidi characters shown escaped
 * (terminalText.ts), since the runner's log is a terminal of its own (it acts on ESC).
 */
function escapeData(s: string): string {
  return terminalSafe(s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'));
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One `::error file=…,line=…::message` line per finding. */
export function toGithub(results: readonly LintFileResult[]): string {
  return results.flatMap((r) => r.findings.map((f) => {
    const props = [`file=${escapeProperty(r.file)}`, `line=${f.line}`, `col=${f.column}`, `endLine=${f.endLine}`, `endColumn=${f.endColumn}`, `title=${escapeProperty(`${f.ruleId} (manifest-lens)`)}`];
    return `::${GITHUB_COMMAND[f.severity]} ${props.join(',')}::${escapeData(f.message)}\n`;
  })).join('');
}
