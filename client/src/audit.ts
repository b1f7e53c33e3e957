/**
 * Audit Registry… (issue 21): on a registry row of the explorer, or from the palette (which asks
 * for the registry). The server runs the audit (lsp/auditService.ts) with a cancellable progress
 * notification (repositories done / total); the findings go to the Problems panel, each on the
 * fetched document it is in (an `oci-image:` URI whose folders are the registry and repository,
 * so the panel lists them by repository; clicking one opens the document at its place); "Export
 * SARIF…" saves what `manifest-lens audit --format sarif` writes for the same registry.
 */
import * as vscode from 'vscode';
import { WorkDoneProgress, type LanguageClient, type WorkDoneProgressBegin, type WorkDoneProgressEnd, type WorkDoneProgressReport } from 'vscode-languageclient/node';
import type { AuditParams, AuditResult, ExplorerRegistry } from '../../common/protocol';
import { messageText } from '../../common/messageText';
import { CommandIds, Requests } from './ids';

const SEVERITY: Readonly<Record<AuditResult['diagnostics'][number]['severity'], vscode.DiagnosticSeverity>> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** Where the registry may come from: a registry row of the explorer (its `registry`). */
interface RegistryRow {
  readonly type?: string;
  readonly registry?: string;
}

let sequence = 0;

export function registerAudit(context: vscode.ExtensionContext, client: () => Promise<LanguageClient | undefined>): vscode.Disposable[] {
  const collection = vscode.languages.createDiagnosticCollection('manifest-lens-audit');
  /** The last audit of each registry: its URIs (cleared by the next audit of it) and its SARIF. */
  const last = new Map<string, { uris: vscode.Uri[]; sarif: string }>();

  const askRegistry = async (): Promise<string | undefined> => {
    const c = await client();
    const added = context.globalState.get<string[]>('manifestLens.explorer.registries', []);
    const known = c ? await c.sendRequest<ExplorerRegistry[]>(Requests.explorerRegistries, { added }).catch(() => []) : [];
    const pick = vscode.window.createQuickPick();
    pick.title = 'Audit Registry';
    pick.placeholder = 'A registry (host[:port]), or registry/prefix for the repositories below it';
    pick.items = known.map((r) => ({ label: r.registry, description: r.source }));
    return new Promise<string | undefined>((resolve) => {
      pick.onDidAccept(() => {
        const chosen = pick.selectedItems[0]?.label ?? pick.value.trim();
        resolve(chosen || undefined);
        pick.hide();
      });
      pick.onDidHide(() => {
        resolve(undefined);
        pick.dispose();
      });
      pick.show();
    });
  };

  const show = (result: AuditResult): void => {
    const key = result.registry + (result.prefix ? `/${result.prefix}` : '');
    for (const uri of last.get(key)?.uris ?? []) collection.delete(uri);
    const byUri = new Map<string, vscode.Diagnostic[]>();
    for (const d of result.diagnostics) {
      const range = new vscode.Range(d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character);
      const diagnostic = new vscode.Diagnostic(range, d.message, SEVERITY[d.severity] ?? vscode.DiagnosticSeverity.Error);
      diagnostic.source = 'manifest-lens audit';
      diagnostic.code = { value: d.code, target: vscode.Uri.parse(d.href) };
      byUri.set(d.uri, [...(byUri.get(d.uri) ?? []), diagnostic]);
    }
    const uris: vscode.Uri[] = [];
    for (const [uri, list] of byUri) {
      const u = vscode.Uri.parse(uri);
      uris.push(u);
      collection.set(u, list);
    }
    last.set(key, { uris, sarif: result.sarif });
  };

  const exportSarif = async (key?: string): Promise<void> => {
    const keys = [...last.keys()];
    const chosen = key ?? (keys.length <= 1 ? keys[0] : await vscode.window.showQuickPick(keys, { title: 'Export SARIF of the audit of' }));
    const audit = chosen ? last.get(chosen) : undefined;
    if (!audit) {
      void vscode.window.showInformationMessage('Manifest Lens: no registry audited in this window yet (Audit Registry… first).');
      return;
    }
    const base = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `audit-${chosen!.replace(/[^A-Za-z0-9._-]+/g, '-')}.sarif`;
    const target = await vscode.window.showSaveDialog({
      title: 'Export SARIF',
      saveLabel: 'Export',
      filters: { SARIF: ['sarif', 'json'] },
      ...(base ? { defaultUri: vscode.Uri.joinPath(base, name) } : {}),
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(audit.sarif));
    vscode.window.setStatusBarMessage(`Wrote ${target.fsPath || target.toString()}`, 4000);
  };

  const audit = async (item?: RegistryRow | string): Promise<void> => {
    const registry = typeof item === 'string' ? item : item?.type === 'registry' && item.registry ? item.registry : await askRegistry();
    if (!registry) return;
    const c = await client();
    if (!c) {
      void vscode.window.showErrorMessage('Manifest Lens: the language server is not running.');
      return;
    }
    let result: AuditResult | undefined;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Auditing ${registry}`, cancellable: true },
        async (progress, token) => {
          const workDoneToken = `manifestLens-audit-${process.pid}-${++sequence}`;
          let shown = 0;
          const sub = c.onProgress(WorkDoneProgress.type, workDoneToken, (v: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => {
            if (v.kind === 'end') return;
            const pct = v.percentage ?? shown;
            progress.report({ message: v.message, increment: Math.max(0, pct - shown) });
            shown = Math.max(shown, pct);
          });
          try {
            return await c.sendRequest<AuditResult>(Requests.audit, { registry, workDoneToken } satisfies AuditParams, token);
          } catch (e) {
            if (token.isCancellationRequested) return undefined;
            throw e;
          } finally {
            sub.dispose();
          }
        },
      );
    } catch (e) {
      void vscode.window.showErrorMessage(`Manifest Lens: the audit of ${registry} failed: ${messageText(e instanceof Error ? e.message : String(e), 600)}`);
      return;
    }
    if (!result) {
      vscode.window.setStatusBarMessage(`Manifest Lens: the audit of ${registry} was cancelled`, 4000);
      return;
    }
    show(result);
    const t = result.totals;
    const failed = result.failedRepositories.length ? `; ${result.failedRepositories.length} repositor${result.failedRepositories.length === 1 ? 'y' : 'ies'} could not be audited (first: ${result.failedRepositories[0].repository}: ${messageText(result.failedRepositories[0].error, 300)})` : '';
    const text = `Audit of ${result.registry}${result.prefix ? `/${result.prefix}` : ''}: ${t.repositories} repositories, ${t.tags} tags, ${t.manifests} distinct manifests; ${t.findings} finding${t.findings === 1 ? '' : 's'} (${t.bySeverity.error} error, ${t.bySeverity.warning} warning)${failed}.`;
    const key = result.registry + (result.prefix ? `/${result.prefix}` : '');
    const actions = [...(t.findings ? ['Show Problems'] : []), 'Export SARIF…'];
    const choice = await (t.bySeverity.error ? vscode.window.showWarningMessage(text, ...actions) : vscode.window.showInformationMessage(text, ...actions));
    if (choice === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
    else if (choice === 'Export SARIF…') await exportSarif(key);
  };

  return [
    collection,
    vscode.commands.registerCommand(CommandIds.auditRegistry, (item?: RegistryRow | string) => audit(item)),
    vscode.commands.registerCommand(CommandIds.exportAuditSarif, () => exportSarif()),
  ];
}
