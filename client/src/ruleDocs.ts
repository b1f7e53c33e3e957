/**
 * A diagnostic's rule link, opened readably: the rule's own section of the shipped
 * docs/rules.md, rendered by VS Code's Markdown preview beside the document, in a tab of its own.
 *
 * The server links the rule to a file (`file:///…/docs/rules.md#L226`), which any LSP editor can
 * open; VS Code would show it as raw Markdown in the preview tab, in place of the manifest. So the
 * client points the link at the extension's URI handler instead
 * (`vscode://manifest-lens.manifest-lens/rule?id=…`: VS Code hands such links to the extension),
 * which opens the rule's section under the `manifest-lens-rule` scheme in the Markdown preview.
 */
import * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient/node';

export const RULE_SCHEME = 'manifest-lens-rule';
const SOURCE = 'manifest-lens';

/** The section of docs/rules.md under `## id`, up to the next heading of that level. */
export function ruleSection(markdown: string, id: string): string | undefined {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${id}`);
  if (start < 0) return undefined;
  let end = lines.findIndex((l, i) => i > start && /^##? /.test(l));
  if (end < 0) end = lines.length;
  return `# ${id}\n${lines.slice(start + 1, end).join('\n').trimEnd()}\n\n---\n\nFrom the Manifest Lens rule reference (docs/rules.md).\n`;
}

export function registerRuleDocs(context: vscode.ExtensionContext): { middleware: Middleware; disposables: vscode.Disposable[] } {
  let text: Promise<string> | undefined;
  const rulesMarkdown = (): Promise<string> =>
    (text ??= Promise.resolve(vscode.workspace.fs.readFile(vscode.Uri.joinPath(context.extensionUri, 'docs', 'rules.md'))).then((b) => new TextDecoder().decode(b)));
  const idOf = (uri: vscode.Uri): string => uri.path.replace(/^\//, '').replace(/\.md$/, '');

  const provider: vscode.TextDocumentContentProvider = {
    async provideTextDocumentContent(uri) {
      const id = idOf(uri);
      return ruleSection(await rulesMarkdown(), id) ?? `# ${id}\n\nNo such rule in this version of Manifest Lens.\n`;
    },
  };

  const show = async (id: string): Promise<void> => {
    const doc = vscode.Uri.from({ scheme: RULE_SCHEME, path: `/${id}.md` });
    try {
      await vscode.commands.executeCommand('markdown.showPreviewToSide', doc);
    } catch {
      // No Markdown preview (a build without it): the section as text, beside, pinned.
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(doc), { viewColumn: vscode.ViewColumn.Beside, preview: false });
    }
  };

  const handler: vscode.UriHandler = {
    handleUri(uri) {
      const id = new URLSearchParams(uri.query).get('id');
      if (uri.path === '/rule' && id && /^[a-z0-9-]+$/.test(id)) void show(id);
    },
  };

  const linkFor = (id: string): vscode.Uri =>
    vscode.Uri.from({ scheme: vscode.env.uriScheme, authority: context.extension.id, path: '/rule', query: `id=${id}` });

  const middleware: Middleware = {
    handleDiagnostics(uri, diagnostics, next) {
      for (const d of diagnostics) {
        if (d.source !== SOURCE || typeof d.code !== 'object' || typeof d.code.value !== 'string') continue;
        if (d.code.target.scheme !== 'file') continue; // file-too-large and the like link nowhere else
        d.code = { value: d.code.value, target: linkFor(d.code.value) };
      }
      next(uri, diagnostics);
    },
  };

  return {
    middleware,
    disposables: [
      vscode.workspace.registerTextDocumentContentProvider(RULE_SCHEME, provider),
      vscode.window.registerUriHandler(handler),
    ],
  };
}
