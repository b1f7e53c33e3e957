/**
 * Read-only documents for what a registry served, under the `oci-image` scheme. The content
 * comes from the language server, which keeps the served bytes and their verified digest.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Requests, type RemoteDocument } from './ids';

export class RemoteDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, RemoteDocument>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly client: () => LanguageClient | undefined) {
    this.subscriptions.push(vscode.workspace.onDidCloseTextDocument((d) => this.contents.delete(d.uri.toString())));
  }

  /** Keeps a fetched document so that opening its URI shows exactly it. */
  remember(doc: RemoteDocument): void {
    this.contents.set(vscode.Uri.parse(doc.uri).toString(), doc);
  }

  get(uri: vscode.Uri): RemoteDocument | undefined {
    return this.contents.get(uri.toString());
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const kept = this.contents.get(uri.toString());
    if (kept) return kept.text;
    // Restored editor after a reload, or a link followed without the command: ask the server.
    const c = this.client();
    if (!c) throw new Error('Manifest Lens is not running.');
    const doc = await c.sendRequest<RemoteDocument>(Requests.open, { uri: uri.toString() }, token);
    this.remember(doc);
    return doc.text;
  }

  dispose(): void {
    this.emitter.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
