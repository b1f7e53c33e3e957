/**
 * The editor half of issue 19: Repair in registry… (the code action on a fetched document, and
 * the explorer's tag and manifest rows), Edit a Copy, and Push Manifest…. The server plans and
 * writes (server/src/lsp/repairService.ts, the engine's planner that `fix` uses); this file shows
 * the diff, asks (a modal naming exactly what will be written), and opens the result fetched
 * again from the registry. Nothing is written before the modal; nothing at all in an untrusted
 * workspace or with manifestLens.remote.allowPush off (the server refuses those too).
 */
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import {
  REGISTRY_ERROR_CODE,
  REMOTE_SCHEME,
  REPAIR_COMMAND,
  Requests,
  type PushManifestResult,
  type RegistryErrorData,
  type RemoteDocument,
  type RepairPreview,
  type RepairResult,
} from '../../../common/protocol';
import type { RegistryExplorer } from '../explorer';
import { showRemoteDocument, type InspectDeps } from './inspectRemoteImage';
import { messageText } from '../../../common/messageText';

export const RepairCommandIds = {
  repair: REPAIR_COMMAND,
  editCopy: 'manifestLens.editCopy',
  pushManifest: 'manifestLens.pushManifest',
  explorerRepair: 'manifestLens.explorer.repair',
} as const;

/** The read-only scheme of the diff's two sides. */
const DIFF_SCHEME = 'manifest-lens-repair';
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

const short = (digest: string): string => (digest.length > 19 ? `${digest.slice(0, 19)}…` : digest);
/** Registry text in a message: one line, bounded, and no `[label](link)` (common/messageText.ts). */
const oneLine = (s: string, max = 200): string => messageText(s, max);

/** Whether writes may happen here; if not, says how to enable them and returns false. */
function writesAllowed(): boolean {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Manifest Lens writes to a registry only in a trusted workspace.', 'Manage Workspace Trust').then((a) => a && vscode.commands.executeCommand('workbench.trust.manage'));
    return false;
  }
  if (vscode.workspace.getConfiguration('manifestLens').get<boolean>('remote.allowPush') === false) {
    void vscode.window.showWarningMessage('Writes to a registry are switched off (manifestLens.remote.allowPush).', 'Open Settings').then((a) => a && vscode.commands.executeCommand('workbench.action.openSettings', 'manifestLens.remote.allowPush'));
    return false;
  }
  return true;
}

class DiffTexts implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private seq = 0;
  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
  /** A read-only document showing `text`, titled `title`. */
  add(title: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: DIFF_SCHEME, path: `/${title.replace(/[/\\]/g, '\u2215')}.json`, query: String(++this.seq) });
    this.texts.set(uri.toString(), text);
    // Only the latest repairs are kept.
    if (this.texts.size > 64) this.texts.delete(this.texts.keys().next().value as string);
    return uri;
  }
}

export function registerRepairCommands(deps: InspectDeps, explorer: RegistryExplorer): vscode.Disposable[] {
  const diffs = new DiffTexts();
  /** Untitled copies → the reference they were copied from (Push Manifest… prefills it). */
  const origins = new Map<string, string>();

  const client = async () => {
    const c = await deps.client();
    if (!c) void vscode.window.showErrorMessage('Manifest Lens: the language server is not running; see the "Manifest Lens" output.');
    return c;
  };

  /** One actionable message for a failed request; undefined when the user cancelled. */
  const failed = (err: unknown, what: string): void => {
    if (err instanceof vscode.CancellationError || (err instanceof ResponseError && err.code === -32800)) return;
    const kind = err instanceof ResponseError && err.code === REGISTRY_ERROR_CODE ? (err.data as Partial<RegistryErrorData> | undefined)?.kind : undefined;
    const text = err instanceof Error ? err.message : String(err);
    const actions = kind === 'writes-disabled' ? ['Open Settings'] : ['Show Log'];
    void vscode.window.showErrorMessage(`Manifest Lens: ${what}: ${oneLine(text, 600)}`, ...actions).then((a) => {
      if (a === 'Show Log') deps.output.show(true);
      if (a === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'manifestLens.remote.allowPush');
    });
  };

  const progress = <T>(title: string, run: (token: vscode.CancellationToken) => Thenable<T>): Thenable<T> =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) => run(token));

  const openResult = async (uri: string): Promise<void> => {
    const c = await client();
    if (!c) return;
    const doc = await progress('Fetching the result from the registry…', (t) => c.sendRequest<RemoteDocument>(Requests.open, { uri }, t));
    await showRemoteDocument(deps, doc);
  };

  const repair = async (uriArg?: string, toArg?: string): Promise<void> => {
    const uri = typeof uriArg === 'string' ? uriArg : vscode.window.activeTextEditor?.document.uri.toString();
    if (!uri?.startsWith(`${REMOTE_SCHEME}:`)) {
      void vscode.window.showInformationMessage('Repair in registry works on manifests and indexes opened with "Inspect Remote Image".');
      return;
    }
    if (!writesAllowed()) return;
    const c = await client();
    if (!c) return;
    const kept = deps.provider.get(vscode.Uri.parse(uri));
    const to = toArg === 'oci' || toArg === 'docker' ? toArg : kept?.contentType?.includes('docker') ? 'docker' : 'oci';
    const family = to === 'oci' ? 'OCI' : 'Docker';
    let preview: RepairPreview;
    try {
      preview = await progress('Planning the repair (reading the manifests)…', (t) => c.sendRequest<RepairPreview>(Requests.repairPlan, { uri, to }, t));
    } catch (err) {
      return failed(err, 'Repair in registry');
    }
    if (preview.refusals.length) {
      void vscode.window.showErrorMessage(`Manifest Lens cannot repair ${oneLine(preview.reference)} to ${family}; nothing was written.`, { modal: true, detail: preview.refusals.map((r) => oneLine(r, 400)).join('\n') });
      return;
    }
    if (preview.writes.length === 0) {
      void vscode.window.showInformationMessage(`Nothing to repair: ${oneLine(preview.reference)} is already ${family} throughout.`);
      return;
    }
    const top = preview.writes[preview.writes.length - 1]!;
    const children = preview.writes.filter((w) => !w.top);
    const name = preview.repository.split('/').pop() ?? preview.repository;
    const showDiff = (w: RepairPreview['writes'][number]) => {
      const label = w.top ? `${name}${preview.tag ? `:${preview.tag}` : ''}` : `${name} ${w.platform ?? w.where}`;
      return vscode.commands.executeCommand('vscode.diff', diffs.add(`${label} (current ${short(w.oldDigest)})`, w.oldText), diffs.add(`${label} (repaired ${short(w.newDigest)})`, w.newText),
        `${oneLine(label, 80)}: current ↔ repaired (${family})`, { preview: false });
    };
    await showDiff(top);

    // Where to write: a new tag (prefilled TAG-oci), or the document's own tag in place.
    type Choice = vscode.QuickPickItem & { id: 'tag' | 'in-place' | 'children' };
    const choices: Choice[] = [
      { id: 'tag', label: `$(tag) Push under a new tag`, description: `:${preview.suggestedTag}`, detail: preview.tag ? `:${preview.tag} stays as it is` : undefined },
      ...(preview.tag ? [{ id: 'in-place' as const, label: `$(arrow-right) In place: move :${preview.tag}`, description: `from ${short(preview.digest)} to ${short(top.newDigest)}` }] : []),
      ...(children.length ? [{ id: 'children' as const, label: `$(diff) Show the ${children.length} child manifest diff${children.length === 1 ? '' : 's'} too` }] : []),
    ];
    let choice: Choice | undefined;
    for (;;) {
      choice = await vscode.window.showQuickPick(choices, { title: `Repair ${oneLine(preview.reference, 120)} to ${family}: where to write`, ignoreFocusOut: true });
      if (choice?.id !== 'children') break;
      for (const w of children) await showDiff(w);
      choices.splice(choices.indexOf(choice), 1);
    }
    if (!choice) return;
    let tag = preview.tag ?? '';
    if (choice.id === 'tag') {
      const typed = await vscode.window.showInputBox({
        title: `New tag in ${oneLine(`${preview.registry}/${preview.repository}`, 120)}`,
        value: preview.suggestedTag,
        prompt: preview.tag ? `The repaired image goes under this tag; :${preview.tag} stays as it is.` : 'The repaired image goes under this tag.',
        ignoreFocusOut: true,
        validateInput: (v) => (!TAG.test(v) ? 'A tag: letters, digits, _ . -, at most 128, not starting with . or -' : v === preview.tag ? `That is the document's own tag: choose "In place" to move it` : undefined),
      });
      if (!typed) return;
      tag = typed;
    }
    const what = choice.id === 'in-place'
      ? `Push ${children.length} manifest${children.length === 1 ? '' : 's'} by digest, then move :${tag} from ${short(preview.digest)} to ${short(top.newDigest)}?`
      : `Push ${children.length} manifest${children.length === 1 ? '' : 's'} by digest, then tag :${tag}?`;
    const detail = [
      `In ${preview.registry}/${preview.repository}, to ${family}:`,
      ...preview.writes.map((w) => `${w.platform ?? (w.top ? 'the top manifest' : w.where)}: ${short(w.oldDigest)} → ${short(w.newDigest)} (${w.top ? `tag :${tag}` : 'by digest'})`),
      '',
      `Result: ${preview.registry}/${preview.repository}:${tag}@${top.newDigest}`,
      'No blob is uploaded: config and layers stay the same bytes. The old manifests remain, by digest.',
      choice.id === 'in-place' ? `:${tag} moves only if it still points at ${short(preview.digest)}.` : preview.tag ? `:${preview.tag} does not change.` : '',
      ...(preview.attached?.length ? ['', `Not carried over: ${short(preview.digest)} has ${preview.attached.join(', ')}; they name that digest, not ${short(top.newDigest)}: sign and attest it again.`] : []),
    ].map((l) => oneLine(l, 400)).join('\n');
    const button = choice.id === 'in-place' ? `Move :${tag}` : 'Push';
    if ((await vscode.window.showWarningMessage(what, { modal: true, detail }, button)) !== button) return;

    const apply = (force: boolean) => progress(`Pushing ${preview.writes.length} manifests to ${preview.registry}/${preview.repository}…`, (t) =>
      c.sendRequest<RepairResult>(Requests.repairApply, { uri, to, mode: choice!.id === 'in-place' ? 'in-place' : 'tag', tag, expectDigest: top.newDigest, force }, t));
    let result: RepairResult;
    try {
      result = await apply(false);
    } catch (err) {
      const kind = err instanceof ResponseError ? (err.data as Partial<RegistryErrorData> | undefined)?.kind : undefined;
      if (kind !== 'tag-exists') return failed(err, 'Repair in registry');
      const move = `Move :${tag}`;
      if ((await vscode.window.showWarningMessage(`${oneLine((err as Error).message, 400)}`, { modal: true, detail: `Moving it makes :${tag} point at ${top.newDigest}.` }, move)) !== move) return;
      try {
        result = await apply(true);
      } catch (err2) {
        return failed(err2, 'Repair in registry');
      }
    }
    deps.output.appendLine(`Repair in registry: wrote ${result.written.join(', ')} → ${result.reference}${result.previousDigest ? ` (:${tag} was ${result.previousDigest})` : ''}`);
    try {
      await openResult(result.uri);
    } catch (err) {
      return failed(err, 'Opening the repaired manifest');
    }
    void vscode.window.showInformationMessage(`Repaired: ${oneLine(result.reference, 300)} (${result.written.length} manifests written${result.previousDigest ? `; :${tag} was ${short(result.previousDigest)}` : preview.tag ? `; :${preview.tag} unchanged` : ''}).`);
  };

  const editCopy = async (arg?: vscode.Uri | string): Promise<void> => {
    const uri = typeof arg === 'string' ? vscode.Uri.parse(arg) : arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== REMOTE_SCHEME) {
      void vscode.window.showInformationMessage('Edit a Copy works on documents opened with "Inspect Remote Image".');
      return;
    }
    const source = await vscode.workspace.openTextDocument(uri);
    const kept = deps.provider.get(uri);
    const copy = await vscode.workspace.openTextDocument({ language: 'json', content: source.getText() });
    if (kept && kept.kind === 'manifest') origins.set(copy.uri.toString(), kept.reference);
    await vscode.window.showTextDocument(copy, { preview: false });
    vscode.window.setStatusBarMessage(`An editable copy of ${kept ? oneLine(kept.reference, 120) : 'the fetched document'}: any edit changes its digest; push it with "Push Manifest…"`, 8000);
  };

  /** The reference Push Manifest… prefills: the copy's origin (its tag, or the repository with a tag to name). */
  const prefill = (doc: vscode.TextDocument): string => {
    const origin = origins.get(doc.uri.toString());
    if (!origin) return '';
    const at = origin.indexOf('@');
    const base = at > 0 ? origin.slice(0, at) : origin;
    const lastSlash = base.lastIndexOf('/');
    return base.indexOf(':', lastSlash) > 0 ? base : `${base}:edited`;
  };

  const push = async (arg?: vscode.Uri): Promise<void> => {
    const doc = arg instanceof vscode.Uri ? await vscode.workspace.openTextDocument(arg) : vscode.window.activeTextEditor?.document;
    if (!doc || doc.uri.scheme === REMOTE_SCHEME || (doc.languageId !== 'json' && doc.languageId !== 'jsonc')) {
      void vscode.window.showInformationMessage('Push Manifest works on a manifest or index in an editor (a local file, or a copy made with "Edit a Copy").');
      return;
    }
    if (!writesAllowed()) return;
    const c = await client();
    if (!c) return;
    const reference = await vscode.window.showInputBox({
      title: 'Push Manifest: target reference',
      value: prefill(doc),
      placeHolder: 'registry/repository:tag or registry/repository@sha256:…',
      ignoreFocusOut: true,
      validateInput: async (v) => (v.trim() ? (await c.sendRequest<{ message: string | null }>(Requests.validateReference, { text: v.trim() })).message ?? undefined : 'A reference: registry/repository:tag'),
    });
    if (!reference) return;
    const text = doc.getText();
    let check: PushManifestResult;
    try {
      check = await progress(`Checking ${oneLine(reference, 120)}…`, (t) => c.sendRequest<PushManifestResult>(Requests.pushManifest, { text, reference: reference.trim(), mode: 'check' }, t));
    } catch (err) {
      return failed(err, 'Push Manifest');
    }
    if (check.missing.length) {
      void vscode.window.showErrorMessage(`The registry lacks what this manifest names; nothing was written (a push uploads no blob).`, { modal: true, detail: check.missing.map((m) => oneLine(m, 300)).join('\n') });
      return;
    }
    let force = false;
    if (check.errors.length) {
      const anyway = 'Push anyway';
      const a = await vscode.window.showWarningMessage(`This document has ${check.errors.length} lint error${check.errors.length === 1 ? '' : 's'}; registries and runtimes may refuse it.`, { modal: true, detail: check.errors.slice(0, 10).map((e) => oneLine(e, 300)).join('\n') }, anyway);
      if (a !== anyway) return;
      force = true;
    }
    const target = reference.trim();
    const byDigest = target.includes('@');
    const tagName = byDigest ? undefined : target.slice(target.lastIndexOf(':') > target.lastIndexOf('/') ? target.lastIndexOf(':') + 1 : target.length);
    const what = byDigest ? `Push ${check.size} bytes as ${short(check.digest)} by digest?`
      : check.tagDigest ? (check.tagDigest === check.digest ? `Push ${check.size} bytes to :${tagName} (it already points at these bytes)?` : `Push ${check.size} bytes and move :${tagName} from ${short(check.tagDigest)} to ${short(check.digest)}?`)
        : `Push ${check.size} bytes as ${short(check.digest)} and tag :${tagName || 'latest'}?`;
    const detail = [`To ${target}`, `${check.mediaType ?? ''}, ${check.size} bytes, ${check.digest}`, 'The exact text of the editor is pushed; no blob is uploaded.'].map((l) => oneLine(l, 400)).join('\n');
    if ((await vscode.window.showWarningMessage(what, { modal: true, detail }, 'Push')) !== 'Push') return;
    let result: PushManifestResult;
    try {
      result = await progress(`Pushing to ${oneLine(target, 120)}…`, (t) => c.sendRequest<PushManifestResult>(Requests.pushManifest, { text, reference: target, mode: 'write', force, ...(byDigest ? {} : { expectTagDigest: check.tagDigest ?? '' }) }, t));
    } catch (err) {
      return failed(err, 'Push Manifest');
    }
    if (result.uri) {
      try {
        await openResult(result.uri);
      } catch (err) {
        return failed(err, 'Opening the pushed manifest');
      }
    }
    void vscode.window.showInformationMessage(`Pushed: ${oneLine(result.reference ?? target, 300)}.`);
  };

  return [
    vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, diffs),
    vscode.workspace.onDidCloseTextDocument((d) => origins.delete(d.uri.toString())),
    vscode.commands.registerCommand(RepairCommandIds.repair, (uri?: unknown, to?: unknown) => repair(typeof uri === 'string' ? uri : uri instanceof vscode.Uri ? uri.toString() : undefined, typeof to === 'string' ? to : undefined)),
    vscode.commands.registerCommand(RepairCommandIds.editCopy, editCopy),
    vscode.commands.registerCommand(RepairCommandIds.pushManifest, push),
    vscode.commands.registerCommand(RepairCommandIds.explorerRepair, async (item?: Parameters<RegistryExplorer['referenceOf']>[0]) => {
      const ref = explorer.referenceOf(item);
      if (!ref || !writesAllowed()) return;
      const c = await client();
      if (!c) return;
      try {
        const doc = await progress(`Fetching ${oneLine(ref, 120)}…`, (t) => c.sendRequest<RemoteDocument>(Requests.inspect, { reference: ref }, t));
        await showRemoteDocument(deps, doc);
        await repair(doc.uri);
      } catch (err) {
        failed(err, 'Repair in registry');
      }
    }),
  ];
}
