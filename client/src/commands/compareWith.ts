/**
 * "Manifest Lens: Compare with…": on a fetched document (or a local manifest), ask for another
 * image reference, let the server fetch both and compare them, and open VS Code's diff editor on
 * the two with what changed in words (media types, layers, config env, labels, entrypoint, cmd,
 * history) in the log and a notification.
 */
import * as vscode from 'vscode';
import { CommandIds, REMOTE_SCHEME, Requests, type CompareParams, type CompareResult, type CompareSide } from '../ids';
import { askReference, fetchWithProgress, history, remember, type InspectDeps } from './inspectRemoteImage';

/** The side the active editor (or the URI the command was run on) stands for. */
function sideOf(uri: vscode.Uri | undefined): CompareSide | undefined {
  const doc = uri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) : vscode.window.activeTextEditor?.document;
  if (uri?.scheme === REMOTE_SCHEME || doc?.uri.scheme === REMOTE_SCHEME) return { uri: (uri ?? doc!.uri).toString() };
  if (doc) return { text: doc.getText(), label: vscode.workspace.asRelativePath(doc.uri) };
  return undefined;
}

export function registerCompareCommand(deps: InspectDeps): vscode.Disposable {
  return vscode.commands.registerCommand(CommandIds.compareWith, async (target?: vscode.Uri | string, other?: string) => {
    const client = await deps.client();
    if (!client) {
      void vscode.window.showErrorMessage('Manifest Lens: the language server is not running; see the "Manifest Lens" output.');
      return;
    }
    const left = typeof target === 'string' ? { reference: target } : sideOf(target);
    if (!left) {
      void vscode.window.showInformationMessage('Compare with… works on a manifest: open one (or inspect one) first.');
      return;
    }
    const reference = typeof other === 'string' && other ? other : await askReference(client, history(deps.context), 'Compare with… (an image reference)');
    if (!reference) return;
    await remember(deps.context, reference);
    const params: CompareParams = { left, right: { reference } };
    const r = await fetchWithProgress<CompareResult>(deps, `Comparing with ${reference}…`, { method: Requests.compare, params });
    if (!r) return;
    for (const d of [r.left, r.right]) if (d) deps.provider.remember(d);
    const leftUri = r.left ? vscode.Uri.parse(r.left.uri) : (typeof target === 'object' ? target : vscode.window.activeTextEditor?.document.uri);
    const rightUri = vscode.Uri.parse(r.right!.uri);
    deps.output.appendLine(`Compare ${r.leftLabel} ↔ ${r.rightLabel}: ${r.same ? (r.sameBytes ? 'the same bytes' : 'the same JSON, other bytes') : `${r.changes.length} change(s)`}`);
    for (const c of r.changes) deps.output.appendLine(`  ${c.text}`);
    for (const n of r.notes) deps.output.appendLine(`  note: ${n}`);
    if (leftUri) await vscode.commands.executeCommand('vscode.diff', leftUri, rightUri, `${r.leftLabel} ↔ ${r.rightLabel}`, { preview: false });
    const summary = r.same
      ? `${r.leftLabel} and ${r.rightLabel} are the same${r.sameBytes ? '' : ' JSON (the bytes differ)'}.`
      : `${r.changes.length} change${r.changes.length === 1 ? '' : 's'}: ${r.changes.slice(0, 3).map((c) => c.text).join('; ')}${r.changes.length > 3 ? '; …' : ''}`;
    void vscode.window.showInformationMessage(summary, 'Show All').then((a) => a && deps.output.show(true));
  });
}
