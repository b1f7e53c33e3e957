/**
 * Blob files of an OCI image layout (`DIR/blobs/sha256/<hex>` next to `DIR/oci-layout`) are
 * content-addressed: an edit breaks the digest that names them. package.json associates them
 * with JSON and makes them read-only through a `files.readonlyInclude` default; this marks the
 * editor read-only for the session as well, in case that setting was changed or is unsupported.
 */
import * as vscode from 'vscode';

const BLOB_PATH = /\/blobs\/(?:sha256|sha512)\/[0-9a-f]{64,128}$/;

/** Whether a file: URI is a blob of a folder that has an `oci-layout` file. */
async function isLayoutBlob(uri: vscode.Uri): Promise<boolean> {
  if (uri.scheme !== 'file' || !BLOB_PATH.test(uri.path)) return false;
  try {
    await vscode.workspace.fs.stat(vscode.Uri.joinPath(uri, '..', '..', '..', 'oci-layout'));
    return true;
  } catch {
    return false;
  }
}

export function registerLayoutBlobs(): vscode.Disposable {
  const done = new Set<string>();
  const check = async (editor: vscode.TextEditor | undefined): Promise<void> => {
    const uri = editor?.document.uri;
    if (!uri || done.has(uri.toString()) || !(await isLayoutBlob(uri))) return;
    if (vscode.window.activeTextEditor?.document.uri.toString() !== uri.toString()) return;
    done.add(uri.toString());
    // VS Code 1.79+: read-only for this session, whatever files.readonlyInclude says.
    await vscode.commands.executeCommand('workbench.action.files.setActiveEditorReadonlyInSession').then(undefined, () => undefined);
  };
  void check(vscode.window.activeTextEditor);
  const sub = vscode.window.onDidChangeActiveTextEditor((e) => void check(e));
  const closed = vscode.workspace.onDidCloseTextDocument((d) => done.delete(d.uri.toString()));
  return vscode.Disposable.from(sub, closed);
}
