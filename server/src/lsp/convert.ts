/** Engine results → LSP types. */
import { CodeAction, CodeActionKind, DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation, type TextEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Edit, Finding, Fix, Severity } from '../engine/types';
import { shortDigest } from '../graph/imageGraph';
import { ruleDocUrl } from './ruleDocs';

export const SOURCE = 'manifest-lens';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(doc: TextDocument, f: Finding): Diagnostic {
  return {
    range: { start: doc.positionAt(f.offset), end: doc.positionAt(f.offset + f.length) },
    severity: SEVERITY[f.severity],
    code: f.ruleId,
    codeDescription: { href: ruleDocUrl(f.ruleId) },
    source: SOURCE,
    message: f.message,
    data: { ruleId: f.ruleId, offset: f.offset, length: f.length },
  };
}

export function toTextEdit(doc: TextDocument, e: Edit): TextEdit {
  return { range: { start: doc.positionAt(e.offset), end: doc.positionAt(e.offset + e.length) }, newText: e.newText };
}

export function toCodeAction(doc: TextDocument, fix: Fix, diagnostics: Diagnostic[]): CodeAction {
  const action = CodeAction.create(fix.title, { changes: { [doc.uri]: fix.edits.map((e) => toTextEdit(doc, e)) } }, CodeActionKind.QuickFix);
  action.diagnostics = diagnostics;
  if (fix.preferred) action.isPreferred = true;
  return action;
}

/**
 * The text of a child's problem shown on its index entry (deep inspection), for the Problems
 * panel (issue 24): the problem first, then the entry's path; the child's digest and the
 * problem's position in it go to relatedInformation, a link to the child (`childUri`, its
 * oci-image URI), which VS Code shows under the problem.
 */
export function deepEntryText(
  problem: { readonly message: string; readonly line?: number; readonly column?: number },
  path: string,
  child: { readonly digest: string },
  childUri: string | undefined,
): { message: string; relatedInformation?: DiagnosticRelatedInformation[] } {
  const message = `${problem.message} (${path})`;
  if (!childUri) return { message };
  const at = problem.line ? ` at ${problem.line}:${problem.column ?? 1}` : '';
  return {
    message,
    relatedInformation: [{
      location: { uri: childUri, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
      message: `${path}: the child manifest ${shortDigest(child.digest)}${at}`,
    }],
  };
}

