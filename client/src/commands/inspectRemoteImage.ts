/**
 * "Manifest Lens: Inspect Remote Image": pick or type a reference (validated as it is typed),
 * fetch it with a cancellable progress notification, open the served document read-only.
 */
import * as vscode from 'vscode';
import { ResponseError, type LanguageClient } from 'vscode-languageclient/node';
import { HISTORY_KEY, HISTORY_MAX, REGISTRY_ERROR_CODE, Requests, type RegistryErrorData, type RemoteDocument, type ValidateReferenceResult } from '../ids';
import type { RemoteDocumentProvider } from '../remoteDocuments';

export interface InspectDeps {
  readonly context: vscode.ExtensionContext;
  /** Resolves once the language server runs. */
  readonly client: () => Promise<LanguageClient | undefined>;
  readonly provider: RemoteDocumentProvider;
  readonly output: vscode.OutputChannel;
}

export function history(ctx: vscode.ExtensionContext): string[] {
  return ctx.globalState.get<string[]>(HISTORY_KEY, []);
}

export async function remember(ctx: vscode.ExtensionContext, reference: string): Promise<void> {
  const list = [reference, ...history(ctx).filter((r) => r !== reference)].slice(0, HISTORY_MAX);
  await ctx.globalState.update(HISTORY_KEY, list);
}

/**
 * What Enter takes from the box: the text in it, unless the user moved to a recent entry (arrow
 * keys or a click) after last changing the text. Never the typed-value item: the asynchronous
 * validation builds it from a value that may be a few keystrokes old (a typed
 * `…/boukhano/cirros:6.1` + Enter once fetched `…/boukhano/cirro`).
 */
export function acceptedReference(value: string, movedTo: string | undefined, active: string | undefined): string {
  const text = value.trim();
  if (movedTo !== undefined) return movedTo;
  // An empty box with the recent list: Enter takes the highlighted entry.
  return text || (active ?? '');
}

/** An input box that validates with the server's reference grammar as the user types. */
export function askReference(client: LanguageClient, recent: string[], title = 'Inspect Remote Image'): Promise<string | undefined> {
  return new Promise((resolve) => {
    const input = vscode.window.createQuickPick();
    input.title = title;
    input.placeholder = 'registry/repository:tag or …@sha256:digest, e.g. 127.0.0.1:5055/samples/podman-22196:mixed';
    input.matchOnDescription = false;
    const recentItems: vscode.QuickPickItem[] = recent.map((r) => ({ label: r, description: 'recent' }));
    const isRecent = (item: vscode.QuickPickItem | undefined): boolean => item !== undefined && recentItems.includes(item);
    input.items = recentItems;
    let seq = 0;
    let movedTo: string | undefined;
    // The typed-value item of the items last shown, and whether the highlight has landed on it
    // since: until it has, the highlight moves are the quick pick's own (filtering the items it
    // still has with the new text may highlight a recent entry that the text is a prefix of).
    let typedItem: vscode.QuickPickItem | undefined;
    let settled = false;
    const show = (text: string, description: string): void => {
      typedItem = text ? { label: text, description, alwaysShow: true } : undefined;
      settled = false;
      input.items = typedItem ? [typedItem, ...recentItems.filter((i) => i.label !== text)] : recentItems;
    };
    const refresh = async (value: string): Promise<void> => {
      const mine = ++seq;
      const text = value.trim();
      show(text, 'Inspect');
      if (!text) return;
      const { message } = await client.sendRequest<ValidateReferenceResult>(Requests.validateReference, { text });
      if (mine !== seq || input.value.trim() !== text) return;
      if (message) show(text, `$(error) ${message}`);
    };
    input.onDidChangeValue((v) => {
      movedTo = undefined;
      void refresh(v);
    });
    // New items put the highlight on their first, the typed-value item; a recent entry highlighted
    // after that is where the user moved (arrow keys, the mouse). Counting the quick pick's own
    // moves instead was a race: a move of the filter that came without its pair took a typed
    // `…:mixed` + Enter to the recent `…:mixed-old`.
    input.onDidChangeActive((active) => {
      if (active[0] !== undefined && active[0] === typedItem) {
        settled = true;
        movedTo = undefined;
        return;
      }
      movedTo = (settled || !typedItem) && isRecent(active[0]) ? active[0].label : undefined;
    });
    input.onDidAccept(async () => {
      const text = acceptedReference(input.value, movedTo, isRecent(input.activeItems[0]) ? input.activeItems[0].label : undefined).trim();
      if (!text) return;
      const { message } = await client.sendRequest<ValidateReferenceResult>(Requests.validateReference, { text });
      if (message) {
        input.value = text;
        void refresh(text);
        void vscode.window.showWarningMessage(`"${text}" is not a valid image reference: ${message}`);
        return;
      }
      resolve(text);
      input.hide();
    });
    input.onDidHide(() => { resolve(undefined); input.dispose(); });
    input.show();
  });
}

/** Fetches through the server under a cancellable progress notification. Undefined when cancelled. */
export async function fetchWithProgress<T = RemoteDocument>(
  deps: InspectDeps,
  title: string,
  request: { method: string; params: object },
): Promise<T | undefined> {
  const client = await deps.client();
  if (!client) {
    void vscode.window.showErrorMessage('Manifest Lens: the language server is not running; see the "Manifest Lens" output.');
    return undefined;
  }
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (_progress, token) => client.sendRequest<T>(request.method, request.params, token),
    );
  } catch (err) {
    if (err instanceof ResponseError && (err.code === REGISTRY_ERROR_CODE || err.code === -32800 /* RequestCancelled */)) {
      const kind = (err.data as Partial<RegistryErrorData> | undefined)?.kind;
      if (err.code === -32800 || kind === 'cancelled') return undefined; // the user cancelled: silent
      const actions = kind === 'unauthorized' || kind === 'tls' || kind === 'insecure' ? ['Open Settings', 'Show Log']
        : kind === 'proxy' ? ['Open Proxy Settings', 'Show Log'] : ['Show Log'];
      void vscode.window.showErrorMessage(`Manifest Lens: ${err.message}`, ...actions).then((a) => {
        if (a === 'Show Log') deps.output.show(true);
        if (a === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'manifestLens.registry');
        if (a === 'Open Proxy Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'http.proxy');
      });
      return undefined;
    }
    if (err instanceof vscode.CancellationError) return undefined;
    void vscode.window.showErrorMessage(`Manifest Lens: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

export async function showRemoteDocument(deps: InspectDeps, doc: RemoteDocument): Promise<void> {
  deps.provider.remember(doc);
  const uri = vscode.Uri.parse(doc.uri);
  const textDoc = await vscode.workspace.openTextDocument(uri);
  if (textDoc.languageId !== 'json') await vscode.languages.setTextDocumentLanguage(textDoc, 'json');
  await vscode.window.showTextDocument(textDoc, { preview: false });
  const verified = doc.verified === 'computed-only' ? 'computed' : 'verified';
  // The tab's title (`cirros:6.1`), the size with its unit before the digest: a narrow status bar
  // cuts the end of the message, never a bare number.
  const title = (uri.path.split('/').pop() ?? doc.reference).replace(/\.json$/, '').replace(/\u2215/g, '/');
  vscode.window.setStatusBarMessage(`$(pass) ${title}: ${formatBytes(doc.size)}, ${verified} ${doc.digest.slice(0, 19)}…`, 8000);
  for (const w of doc.warnings) void vscode.window.showWarningMessage(`Registry warning: ${w}`);
}

/** `670 bytes`, `1.4 KiB (1,469 bytes)`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  const [v, unit] = n < 1048576 ? [n / 1024, 'KiB'] : [n / 1048576, 'MiB'];
  return `${v.toFixed(v < 10 ? 1 : 0)} ${unit} (${n.toLocaleString('en-US')} bytes)`;
}

export function registerInspectCommand(deps: InspectDeps): vscode.Disposable {
  return vscode.commands.registerCommand('manifestLens.inspectRemoteImage', async (reference?: string) => {
    const client = await deps.client();
    if (!client) {
      void vscode.window.showErrorMessage('Manifest Lens: the language server is not running; see the "Manifest Lens" output.');
      return;
    }
    const ref = typeof reference === 'string' && reference ? reference : await askReference(client, history(deps.context));
    if (!ref) return;
    await remember(deps.context, ref);
    const doc = await fetchWithProgress(deps, `Fetching ${ref}…`, { method: Requests.inspect, params: { reference: ref } });
    if (doc) await showRemoteDocument(deps, doc);
  });
}
