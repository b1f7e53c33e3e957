/**
 * Read-only documents for what a registry served, under the `oci-image` scheme. They are
 * served by a file system provider registered with `isReadonly: true` (no typing, no saving),
 * and an edit another extension applies is undone at once, so the text stays what the CodeLens
 * says was verified. The content
 * comes from the language server, which keeps the served bytes and their verified digest.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Requests, type RemoteDocument } from './ids';

export class RemoteDocumentProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly contents = new Map<string, { doc: RemoteDocument; bytes: Uint8Array; fetchedAt: number }>();
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  private readonly encoder = new TextEncoder();

  private readonly subscriptions: vscode.Disposable[] = [];
  private restoring = new Set<string>();

  /** `client` resolves once the language server runs (an editor restored at startup asks before that). */
  constructor(private readonly client: () => Promise<LanguageClient | undefined>) {
    // The editor refuses typing and the file system refuses writes, but VS Code still lets an
    // extension's WorkspaceEdit change the open text. Put the served text back at once.
    this.subscriptions.push(vscode.workspace.onDidChangeTextDocument((e) => void this.restore(e.document)));
  }

  private async restore(doc: vscode.TextDocument): Promise<void> {
    const key = doc.uri.toString();
    const kept = this.contents.get(key);
    if (!kept || this.restoring.has(key) || doc.getText() === kept.doc.text) return;
    this.restoring.add(key);
    try {
      const edit = new vscode.WorkspaceEdit();
      edit.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), kept.doc.text);
      await vscode.workspace.applyEdit(edit);
    } finally {
      this.restoring.delete(key);
    }
  }

  /** Keeps a fetched document so that opening its URI shows exactly it. */
  remember(doc: RemoteDocument): void {
    const uri = vscode.Uri.parse(doc.uri);
    const before = this.contents.get(uri.toString());
    this.contents.set(uri.toString(), { doc, bytes: this.encoder.encode(doc.text), fetchedAt: Date.now() });
    // Fetched again with other bytes (a tag moved, e.g. by Repair in registry… in place): an open editor reloads.
    if (before && before.doc.text !== doc.text) this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  get(uri: vscode.Uri): RemoteDocument | undefined {
    return this.contents.get(uri.toString())?.doc;
  }

  private async load(uri: vscode.Uri): Promise<{ bytes: Uint8Array; fetchedAt: number }> {
    const kept = this.contents.get(uri.toString());
    if (kept) return kept;
    // A restored editor after a reload, or a link followed without the command: ask the server.
    const c = await this.client();
    if (!c) throw vscode.FileSystemError.Unavailable('Manifest Lens is not running.');
    const doc = await c.sendRequest<RemoteDocument>(Requests.open, { uri: uri.toString() });
    this.remember(doc);
    return this.contents.get(vscode.Uri.parse(doc.uri).toString()) ?? { bytes: this.encoder.encode(doc.text), fetchedAt: Date.now() };
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { bytes, fetchedAt } = await this.load(uri);
    return { type: vscode.FileType.File, ctime: fetchedAt, mtime: fetchedAt, size: bytes.length, permissions: vscode.FilePermission.Readonly };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return (await this.load(uri)).bytes;
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  readDirectory(): never {
    throw vscode.FileSystemError.FileNotADirectory();
  }

  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.emitter.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
