/**
 * "Manifest Lens: Compare with…": on a fetched document (or a local manifest), ask for another
 * image reference, let the server fetch both and compare them, and open VS Code's diff editor on
 * the two. What changed in words (media types, layers, config env, labels, entrypoint, cmd,
 * history) heads both sides of the diff, as comment lines that stay while the diff is open
 * (a notification vanishes and cuts the list short), and goes to the log. Two indexes: a
 * QuickPick offers the platforms both list, to compare those two manifests instead (as
 * `diff --platform` does).
 *
 * Two fetched documents can also be seen as two Image Maps side by side (the diff's title bar:
 * "Show as Image Maps", or the command's `asMaps` argument), layers added and removed marked.
 *
 * The diff's two documents are copies under their own scheme (`manifest-lens-compare:`), shown
 * as JSON with comments: the fetched documents themselves stay the served bytes, header-less.
 */
import * as vscode from 'vscode';
import { childReference, compareHeader, compareHeadline, sharedPlatforms } from '../../../common/compareSummary';
import { CommandIds, REMOTE_SCHEME, Requests, type CompareParams, type CompareResult, type CompareSide } from '../ids';
import { askReference, fetchWithProgress, history, remember, type InspectDeps } from './inspectRemoteImage';
import { showImageMapPair } from '../imageMap';

export const COMPARE_SCHEME = 'manifest-lens-compare';
/** How many comparisons' documents are kept (each is two copies of a manifest or index). */
const KEPT = 20;

/** The diff's documents: the header and the text, and the side each stands for (to compare it again). */
class CompareDocuments implements vscode.TextDocumentContentProvider {
  private readonly docs = new Map<string, { text: string; side: CompareSide }>();
  private count = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.toString())?.text ?? '// This comparison is no longer kept: run Compare with… again.\n';
  }

  side(uri: vscode.Uri): CompareSide | undefined {
    return this.docs.get(uri.toString())?.side;
  }

  add(which: 'left' | 'right', label: string, text: string, side: CompareSide): vscode.Uri {
    // The name's last segment (for the tab), the number keeps two comparisons of the same apart.
    const name = label.split('/').pop()!.replace(/[^A-Za-z0-9._@:-]+/g, '_').slice(0, 60) || 'document';
    const uri = vscode.Uri.from({ scheme: COMPARE_SCHEME, path: `/${Math.floor(this.count / 2)}/${which}/${name}.jsonc` });
    this.count++;
    this.docs.set(uri.toString(), { text, side });
    while (this.docs.size > 2 * KEPT) this.docs.delete(this.docs.keys().next().value!);
    return uri;
  }
}

/** The side the active editor (or the URI the command was run on) stands for. */
function sideOf(uri: vscode.Uri | undefined, docs: CompareDocuments): CompareSide | undefined {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (target?.scheme === COMPARE_SCHEME) return docs.side(target);
  const doc = target ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString()) : undefined;
  if (target?.scheme === REMOTE_SCHEME) return { uri: target.toString() };
  if (doc) return { text: doc.getText(), label: vscode.workspace.asRelativePath(doc.uri) };
  return undefined;
}

/**
 * Two indexes: which platform to compare (or the indexes themselves). `wanted` (a command
 * argument) picks without asking. Undefined: the indexes.
 */
async function pickPlatform(r: CompareResult, wanted: string | undefined): Promise<{ platform: string; left: string; right: string } | undefined> {
  if (!r.left || !r.right) return undefined;
  const shared = sharedPlatforms(r.left.text, r.right.text);
  if (!shared?.length) return undefined;
  if (wanted) return shared.find((p) => p.platform === wanted);
  const short = (d: string): string => `${d.slice(0, 19)}…`;
  const items: (vscode.QuickPickItem & { platform?: (typeof shared)[number] })[] = [
    { label: 'The two indexes', description: compareHeadline(r), detail: `${r.leftLabel} ↔ ${r.rightLabel}` },
    { label: 'A platform of both', kind: vscode.QuickPickItemKind.Separator },
    ...shared.map((p) => ({ label: p.platform, description: p.left === p.right ? 'the same manifest' : `${short(p.left)} ↔ ${short(p.right)}`, platform: p })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Compare two indexes', placeHolder: 'Compare the indexes, or the manifests of one platform (as diff --platform)' });
  return picked?.platform;
}

export function registerCompareCommand(deps: InspectDeps): vscode.Disposable {
  const docs = new CompareDocuments();
  /** The comparisons that can be shown as Image Maps, by the URI of either side of their diff. */
  const maps = new Map<string, { left: string; right: string; summary: string[] }>();
  // `asMaps` (a command argument): open the Image Maps of the two at once, without asking.
  const command = vscode.commands.registerCommand(CommandIds.compareWith, async (target?: vscode.Uri | string, other?: string, platform?: string, asMaps?: boolean) => {
    const client = await deps.client();
    if (!client) {
      void vscode.window.showErrorMessage('Manifest Lens: the language server is not running; see the "Manifest Lens" output.');
      return;
    }
    const left = typeof target === 'string' ? { reference: target } : sideOf(target, docs);
    if (!left) {
      void vscode.window.showInformationMessage('Compare with… works on a manifest: open one (or inspect one) first.');
      return;
    }
    const reference = typeof other === 'string' && other ? other : await askReference(client, history(deps.context), 'Compare with… (an image reference)');
    if (!reference) return;
    await remember(deps.context, reference);
    const params: CompareParams = { left, right: { reference } };
    let r = await fetchWithProgress<CompareResult>(deps, `Comparing with ${reference}…`, { method: Requests.compare, params });
    if (!r) return;
    let sides: [CompareSide, CompareSide] = [left, { reference }];
    const chosen = await pickPlatform(r, platform);
    if (chosen) {
      const a = childReference(r.left!.reference, chosen.left);
      const b = childReference(r.right!.reference, chosen.right);
      sides = [{ reference: a }, { reference: b }];
      const child = await fetchWithProgress<CompareResult>(deps, `Comparing ${chosen.platform}…`, { method: Requests.compare, params: { left: sides[0], right: sides[1] } });
      if (!child) return;
      r = { ...child, leftLabel: `${r.leftLabel} (${chosen.platform})`, rightLabel: `${r.rightLabel} (${chosen.platform})` };
    }
    for (const d of [r.left, r.right]) if (d) deps.provider.remember(d);
    deps.output.appendLine(`Compare ${r.leftLabel} ↔ ${r.rightLabel}: ${compareHeadline(r)}`);
    for (const c of r.changes) deps.output.appendLine(`  ${c.text}`);
    for (const n of r.notes) deps.output.appendLine(`  note: ${n}`);
    // The same header on both sides, then each side's text (a local side: the text it was compared as).
    const header = compareHeader(r).join('\n') + '\n';
    const leftText = r.left?.text ?? sides[0].text ?? '';
    const leftUri = docs.add('left', r.leftLabel, header + leftText, r.left ? { uri: r.left.uri } : sides[0]);
    const rightUri = docs.add('right', r.rightLabel, header + r.right!.text, { uri: r.right!.uri });
    await vscode.commands.executeCommand('vscode.diff', leftUri, rightUri, `${r.leftLabel} ↔ ${r.rightLabel}`, { preview: false });
    vscode.window.setStatusBarMessage(`Manifest Lens: ${compareHeadline(r)} (listed at the top of the diff)`, 8000);
    // Two fetched documents: the same comparison as two pictures, from the diff's title bar (a local side has no registry to map).
    if (r.left && r.right) {
      const pair = { left: r.left.uri, right: r.right.uri, summary: [`${r.leftLabel} ↔ ${r.rightLabel}: ${compareHeadline(r)}`, ...r.changes.map((c) => c.text), ...r.notes.map((n) => `note: ${n}`)] };
      maps.set(leftUri.toString(), pair);
      maps.set(rightUri.toString(), pair);
      while (maps.size > 2 * KEPT) maps.delete(maps.keys().next().value!);
      if (asMaps === true) await showImageMapPair(deps, { uri: pair.left }, { uri: pair.right }, pair.summary);
    }
  });
  const asPictures = vscode.commands.registerCommand(CommandIds.compareAsMaps, async (uri?: vscode.Uri) => {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    const pair = target ? maps.get(target.toString()) : undefined;
    if (!pair) {
      void vscode.window.showInformationMessage('Show as Image Maps works on a comparison of two fetched documents: run Compare with… again.');
      return undefined;
    }
    return showImageMapPair(deps, { uri: pair.left }, { uri: pair.right }, pair.summary);
  });
  return vscode.Disposable.from(command, asPictures, vscode.workspace.registerTextDocumentContentProvider(COMPARE_SCHEME, docs));
}
