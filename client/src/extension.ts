/**
 * Activation: start the language server, register the read-only provider for fetched
 * documents and the commands. Everything else lives in the server.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { registerCompareCommand } from './commands/compareWith';
import { registerExplorer, type RegistryExplorer } from './explorer';
import { fetchWithProgress, registerInspectCommand, showRemoteDocument, type InspectDeps } from './commands/inspectRemoteImage';
import { CommandIds, HISTORY_KEY, Notifications, REMOTE_SCHEME, Requests, type EnvironmentParams, type InitializationOptions, type TagCheck } from './ids';
import { RemoteDocumentProvider } from './remoteDocuments';
import { registerLayoutBlobs } from './layoutBlobs';
import { registerImageMapCommand } from './imageMap';
import { registerRuleDocs } from './ruleDocs';
import { registerRepairCommands } from './commands/repairInRegistry';
import { registerAudit } from './audit';

let client: LanguageClient | undefined;

function proxySetting(): string | undefined {
  const p = vscode.workspace.getConfiguration('http').get<string>('proxy');
  return p && p.trim() ? p.trim() : undefined;
}

/**
 * What activate() returns when MANIFEST_LENS_TEST_HOOKS=1 is in the extension host's environment
 * (test/integration/suite drives the explorer through it); nothing otherwise.
 */
export interface TestHooks {
  readonly explorer: RegistryExplorer;
}

export function activate(context: vscode.ExtensionContext): TestHooks | undefined {
  const started = Date.now();
  const output = vscode.window.createOutputChannel('Manifest Lens');
  context.subscriptions.push(output);

  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  // Over stdio, as other editors run it: the server's own reader (server/src/lsp/stdioReader.ts)
  // makes a large document's text straight from the bytes, where Node's IPC channel would
  // first make the whole message a string and JSON.parse it (issue 13).
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.stdio },
    debug: { module: serverModule, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const ruleDocs = registerRuleDocs(context);
  context.subscriptions.push(...ruleDocs.disposables);
  const clientOptions: LanguageClientOptions = {
    middleware: ruleDocs.middleware,
    documentSelector: [
      { scheme: 'file', language: 'json' },
      { scheme: 'file', language: 'jsonc' },
      { scheme: 'untitled', language: 'json' },
      { scheme: 'untitled', language: 'jsonc' },
      { scheme: REMOTE_SCHEME, language: 'json' },
    ],
    outputChannel: output,
    traceOutputChannel: output,
    synchronize: { configurationSection: 'manifestLens' },
    initializationOptions: { trusted: vscode.workspace.isTrusted, proxy: proxySetting() } satisfies InitializationOptions,
  };
  client = new LanguageClient('manifestLens', 'Manifest Lens', serverOptions, clientOptions);
  let running: Promise<void> | undefined;

  const whenRunning = async (): Promise<LanguageClient | undefined> => {
    await running;
    return client?.isRunning() ? client : undefined;
  };
  const provider = new RemoteDocumentProvider(whenRunning);
  const explorer = registerExplorer(context, whenRunning);
  const deps: InspectDeps = { context, client: whenRunning, provider, output };
  context.subscriptions.push(
    provider,
    vscode.workspace.registerFileSystemProvider(REMOTE_SCHEME, provider, { isReadonly: true, isCaseSensitive: true }),
    registerInspectCommand(deps),
    registerCompareCommand(deps),
    ...explorer.disposables,
    ...registerAudit(context, whenRunning),
    registerLayoutBlobs(),
    registerImageMapCommand(deps),
    vscode.commands.registerCommand(CommandIds.openRemote, async (uri?: string) => {
      if (typeof uri !== 'string') return;
      const doc = await fetchWithProgress(deps, 'Fetching from the registry…', { method: Requests.open, params: { uri } });
      if (doc) await showRemoteDocument(deps, doc);
    }),
    vscode.commands.registerCommand(CommandIds.showRaw, async (uri?: vscode.Uri) => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri;
      if (!target || target.scheme !== REMOTE_SCHEME) {
        void vscode.window.showInformationMessage('Show Raw Bytes works on documents opened with "Inspect Remote Image".');
        return;
      }
      // The server makes every oci-image: URI (one encoding, in remoteUri.ts): ask it for this one's raw form.
      const kept = provider.get(target) ?? (await fetchWithProgress(deps, 'Fetching from the registry…', { method: Requests.open, params: { uri: target.toString() } }));
      if (kept) await vscode.commands.executeCommand(CommandIds.openRemote, kept.rawUri);
    }),
    vscode.commands.registerCommand(CommandIds.copyDigest, async (digest?: string) => {
      if (typeof digest !== 'string') return;
      await vscode.env.clipboard.writeText(digest);
      vscode.window.setStatusBarMessage(`Copied ${digest}`, 3000);
    }),
    vscode.commands.registerCommand(CommandIds.checkTag, async (uri?: string) => {
      const target = typeof uri === 'string' ? uri : vscode.window.activeTextEditor?.document.uri.toString();
      if (!target?.startsWith(`${REMOTE_SCHEME}:`)) {
        void vscode.window.showInformationMessage('Check Tag works on manifests opened by tag with "Inspect Remote Image".');
        return;
      }
      const r = await fetchWithProgress<TagCheck>(deps, 'Asking the registry where the tag points…', { method: Requests.checkTag, params: { uri: target } });
      if (!r) return;
      const how = r.via === 'head' ? 'Docker-Content-Digest of one HEAD request' : 'the sha256 of the fetched manifest (the registry sent no Docker-Content-Digest)';
      if (!r.moved) {
        void vscode.window.showInformationMessage(`${r.reference} still points at ${r.current} (${how}).`, 'Copy Digest').then((a) => a && vscode.commands.executeCommand(CommandIds.copyDigest, r.current));
        return;
      }
      const action = await vscode.window.showWarningMessage(`${r.reference} has moved: it now points at ${r.current}; this document is ${r.shown} (${how}).`, 'Open the Current One', 'Copy Digest');
      if (action === 'Open the Current One' && r.currentUri) await vscode.commands.executeCommand(CommandIds.openRemote, r.currentUri);
      if (action === 'Copy Digest') await vscode.commands.executeCommand(CommandIds.copyDigest, r.current);
    }),
    vscode.commands.registerCommand(CommandIds.showOutput, () => output.show(true)),
    vscode.commands.registerCommand(CommandIds.clearHistory, async () => {
      await context.globalState.update(HISTORY_KEY, []);
      vscode.window.setStatusBarMessage('Manifest Lens: cleared the list of recent references', 3000);
    }),
    ...registerRepairCommands(deps, explorer.explorer),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void client?.sendNotification(Notifications.environment, { trusted: true, proxy: proxySetting() } satisfies EnvironmentParams)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('http.proxy')) void client?.sendNotification(Notifications.environment, { trusted: vscode.workspace.isTrusted, proxy: proxySetting() } satisfies EnvironmentParams);
    }),
  );

  // Activation does not wait for the server: VS Code goes on at once, and everything that needs
  // the server (the provider above, the commands through the client) waits for it instead.
  const activated = Date.now() - started;
  running = client.start().then(
    () => output.appendLine(`Manifest Lens activated in ${activated} ms; language server ready after ${Date.now() - started} ms.`),
    (err: unknown) => {
      output.appendLine(`Manifest Lens: the language server did not start: ${err instanceof Error ? err.message : String(err)}`);
      void vscode.window.showErrorMessage('Manifest Lens: the language server did not start; see the "Manifest Lens" output.', 'Show Log').then((a) => a && output.show(true));
    },
  );
  return process.env.MANIFEST_LENS_TEST_HOOKS === '1' ? { explorer: explorer.explorer } : undefined;
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
