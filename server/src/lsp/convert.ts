/** Engine results → LSP types. */
import { CodeAction, CodeActionKind, DiagnosticSeverity, type Diagnostic, type TextEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Edit, Finding, Fix, Severity } from '../engine/types';
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
