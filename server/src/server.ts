/**
 * The language server: createConnection and wiring only. Speaks LSP over stdio, node IPC or
 * sockets (`node dist/server.js --stdio`), so any editor can use it.
 */
import { pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  CompletionItemKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  InsertTextFormat,
  MarkupKind,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type CodeAction,
  type Diagnostic,
  type DocumentSymbol,
  SymbolKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  Notifications,
  Requests,
  type CheckTagParams,
  type CompareParams,
  type ExplorerGraphParams,
  type ExplorerLevelParams,
  type ExplorerReferrersParams,
  type AuditParams,
  type ExplorerSupplyChainParams,
  type ExplorerResolveParams,
  type ExplorerRegistriesParams,
  type ExplorerRepositoriesParams,
  type ExplorerTagsParams,
  type EnvironmentParams,
  type InitializationOptions,
  type InspectParams,
  type OpenParams,
  type ValidateReferenceParams,
  type ValidateReferenceResult,
  type PushManifestParams,
  type RepairApplyParams,
  type RepairPlanParams,
} from '../../common/protocol';
import type { ImageMapParams } from '../../common/imageMap';
import { completionsAt } from './engine/completion';
import { conversionFix } from './engine/convert';
import { touchesDamage } from './engine/recover';
import { hoverAt } from './engine/hover';
import { withRuleSettings } from './engine/layoutFindings';
import { outline, type OutlineSymbol } from './engine/symbols';
import type { DocumentContext, Finding } from './engine/types';
import { MANIFEST_ACCEPT_TYPES } from './engine/mediaTypes';
import { createRegistryClient, dockerConfigCredentials, type RegistryClient } from './registry';
import { AnalysisService } from './lsp/analysisService';
import { compareDocuments } from './lsp/compareService';
import { auditWithProgress } from './lsp/auditService';
import { DeepInspection } from './lsp/deepInspection';
import { explorerGraph, explorerLevel, explorerReferrers, explorerRegistries, explorerRepositories, explorerResolve, explorerTags } from './lsp/explorerService';
import { SOURCE, toCodeAction, toDiagnostic } from './lsp/convert';
import { FastTextDocument } from './lsp/textDocument';
import { createServerConnection } from './lsp/connection';
import { RemoteService, toResponseError } from './lsp/remote';
import { isRemoteUri, withRaw } from './lsp/remoteUri';
import { IdleCollector } from './lsp/idleCollect';
import { LensWatch } from './lsp/lensWatch';
import { capFindings, LayoutService } from './lsp/layoutService';
import { DEFAULT_DOCUMENT_SETTINGS, toDocumentSettings, toRegistrySettings, type DocumentSettings, type RegistrySettings } from './lsp/settings';
import { requireParams } from './lsp/params';
import { imageMap } from './lsp/imageMapService';
import { fetchedHoverSection, runSafe } from './lsp/util';
import { RepairService, repairActions } from './lsp/repairService';
import { SupplyChainService } from './lsp/supplyChainService';
import { toTrustSettings, type TrustSettings } from './lsp/settings';

// With --stdio, large messages are read without extra copies of their text (lsp/stdioReader.ts).
const { connection, shutdownReceived } = createServerConnection();
// The library's TextDocument with a faster line index (lsp/textDocument.ts): diagnostics of large documents.
const documents = new TextDocuments(FastTextDocument);

let hasConfigurationCapability = false;
/** Whether the client lets the server register for workspace/didChangeConfiguration. */
let configurationRegistration = false;
let trusted = true;
let proxy: string | undefined;
const settingsCache = new Map<string, Promise<DocumentSettings>>();
let registrySettings: RegistrySettings = toRegistrySettings({});
let registryClient: RegistryClient | undefined;
let trustSettings: TrustSettings = toTrustSettings({});

function log(line: string): void {
  connection.console.log(line);
}

process.on('unhandledRejection', (reason) => connection.console.error(`unhandled rejection: ${String(reason)}`));

function settingsFor(uri: string): Promise<DocumentSettings> {
  if (!hasConfigurationCapability) return Promise.resolve(DEFAULT_DOCUMENT_SETTINGS);
  let s = settingsCache.get(uri);
  if (!s) {
    s = connection.workspace.getConfiguration({ scopeUri: uri, section: 'manifestLens' }).then(toDocumentSettings, () => DEFAULT_DOCUMENT_SETTINGS);
    settingsCache.set(uri, s);
  }
  return s;
}

/** The settings as last read (the trust settings wait for it: a request right after start must not see none). */
let settingsRead: Promise<void> = Promise.resolve();
function refreshRegistrySettings(): Promise<void> {
  settingsRead = readRegistrySettings();
  return settingsRead;
}

async function readRegistrySettings(): Promise<void> {
  if (!hasConfigurationCapability) return;
  const raw = await connection.workspace.getConfiguration({ section: 'manifestLens' }).catch(() => ({}));
  registrySettings = toRegistrySettings(raw, proxy);
  trustSettings = toTrustSettings(raw);
  supplyChain.reset();
  const asked = (raw as { registry?: { timeoutSeconds?: unknown } }).registry?.timeoutSeconds;
  if (asked !== undefined && asked !== registrySettings.timeoutSeconds) {
    log(`manifestLens.registry.timeoutSeconds ${JSON.stringify(asked)} is outside 1–86400 or not a number; using ${registrySettings.timeoutSeconds} s`);
  }
  registryClient = undefined;
}

function client(): RegistryClient {
  if (!registryClient) {
    const allowHelpers = trusted && registrySettings.useCredentialHelpers;
    registryClient = createRegistryClient({
      accept: MANIFEST_ACCEPT_TYPES,
      insecureHosts: registrySettings.insecureHosts,
      timeoutMs: registrySettings.timeoutSeconds * 1000,
      proxy: registrySettings.proxy,
      credentials: dockerConfigCredentials({ allowHelpers }),
      userAgent: 'manifest-lens',
      log,
    });
  }
  return registryClient;
}

const remote = new RemoteService(client, log);
/** Why registry writes are refused now (workspace trust, manifestLens.remote.allowPush), or undefined. */
const writesRefused = (): string | undefined =>
  !trusted ? 'Writes to a registry are refused in an untrusted workspace: trust the workspace (Manage Workspace Trust) to repair or push.'
    : !registrySettings.allowPush ? 'Writes to a registry are switched off (manifestLens.remote.allowPush is false): turn it on in Settings to repair or push.' : undefined;
const repair = new RepairService({ client, remote, log, writesRefused });
const supplyChain = new SupplyChainService({
  client,
  settings: () => trustSettings,
  ready: () => settingsRead,
  trusted: () => trusted,
  log,
  done: () => {
    if (codeLensRefresh) void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  },
});
const analyses = new AnalysisService(settingsFor, (uri) => remote.contentTypeFor(uri), (uri) => documentContext(uri));

/** Where a document sits, for the rules that depend on it: a fetched referrers list, a layout's index.json. */
function documentContext(uri: string): DocumentContext | undefined {
  if (remote.fetched(uri)?.target.kind === 'referrers') return 'referrers';
  return uri.endsWith('/index.json') && layouts.rootFor(uri) ? 'layout-index' : undefined;
}
let codeLensRefresh = false;
/** Whether the client lets the server register file watchers, and with a base folder (LSP 3.17 relative patterns). */
let watchRegistration = false;
let relativePatterns = false;
/** The open documents that show the same fetched bytes (the pretty and the raw view). */
const viewsOf = (prettyUri: string) => documents.all().filter((d) => isRemoteUri(d.uri) && withRaw(d.uri, false) === prettyUri);
const deep = new DeepInspection({
  client,
  fetched: (uri) => remote.fetched(uri),
  log,
  done: (prettyUri) => {
    for (const d of viewsOf(prettyUri)) void validate(d);
    if (codeLensRefresh) void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  },
});

/**
 * What is published for one document: at most manifestLens.validate.maxProblems diagnostics
 * (the most severe kept), then one saying how many were left out — a layout's index.json of
 * 100,000 entries must not send 100,000 diagnostics.
 */
function capped(doc: TextDocument, findings: readonly Finding[], settings: DocumentSettings, omittedBefore: number): { diagnostics: Diagnostic[]; notice?: Diagnostic } {
  const { kept, omitted } = capFindings(findings, settings.maxProblems, omittedBefore);
  const diagnostics = kept.map((f) => toDiagnostic(doc, f));
  if (omitted === 0) return { diagnostics };
  return {
    diagnostics,
    notice: {
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
      severity: 3,
      source: SOURCE,
      code: 'too-many-problems',
      message: `${omitted} more problems not shown (manifestLens.validate.maxProblems is ${settings.maxProblems}).`,
    },
  };
}

// OCI image layouts on disk: blob links, hovers and the layout's findings (lsp/layoutService.ts).
const layouts = new LayoutService({
  log,
  isOpen: (uri) => documents.get(uri) !== undefined,
  revalidate: (uri) => { const d = documents.get(uri); if (d) void validate(d); },
  publish: (uri, text, findings, omitted) => {
    const doc = TextDocument.create(uri, 'json', 0, text);
    void settingsFor(uri).then((s) => {
      if (documents.get(uri)) return; // opened meanwhile: validate() publishes it
      const { diagnostics, notice } = capped(doc, withRuleSettings(findings, s.rules), s, omitted);
      void connection.sendDiagnostics({ uri, diagnostics: notice ? [...diagnostics, notice] : diagnostics });
    });
  },
  clear: (uri) => void connection.sendDiagnostics({ uri, diagnostics: [] }),
  progress: () => connection.window.createWorkDoneProgress(),
  watch: (root) => {
    if (!watchRegistration) return false;
    // The layout's own files, wherever it is (a relative pattern watches outside the workspace too).
    const base = pathToFileURL(root).href;
    const globs = ['index.json', 'oci-layout', 'blobs/*/*'];
    const watchers = globs.map((pattern) => ({ globPattern: relativePatterns ? { baseUri: base, pattern } : `${root}/${pattern}` }));
    void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers }).then(
      () => log(`layout ${root}: watching its files`),
      (err: unknown) => log(`layout ${root}: the client did not register the file watcher: ${err instanceof Error ? err.message : String(err)}`),
    );
    return true;
  },
});

connection.onInitialize((params) => {
  const caps = params.capabilities;
  hasConfigurationCapability = !!caps.workspace?.configuration;
  // Register for configuration changes only where the client offers it: eglot warns on (and a
  // strict client refuses) a registration it did not declare; it sends the notification anyway.
  configurationRegistration = !!caps.workspace?.didChangeConfiguration?.dynamicRegistration;
  codeLensRefresh = !!caps.workspace?.codeLens?.refreshSupport;
  watchRegistration = !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration;
  relativePatterns = !!caps.workspace?.didChangeWatchedFiles?.relativePatternSupport;
  const init = (params.initializationOptions ?? {}) as InitializationOptions;
  trusted = init.trusted !== false;
  proxy = init.proxy;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      completionProvider: { triggerCharacters: ['"', ':'] },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      codeLensProvider: { resolveProvider: false },
      documentSymbolProvider: true,
      documentLinkProvider: { resolveProvider: false },
      definitionProvider: true,
    },
    serverInfo: { name: 'manifest-lens' },
  };
});

connection.onInitialized(() => {
  if (hasConfigurationCapability) {
    if (configurationRegistration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'manifestLens' });
    void refreshRegistrySettings();
  }
});

connection.onDidChangeConfiguration(() => {
  settingsCache.clear();
  analyses.clear();
  void refreshRegistrySettings();
  for (const doc of documents.all()) void validate(doc);
});

connection.onNotification(Notifications.environment, (p: EnvironmentParams) => {
  if (typeof p !== 'object' || p === null) return log(`${Notifications.environment} without its params: ignored`);
  const wasTrusted = trusted;
  trusted = p.trusted === true;
  // Trust granted or revoked: no verdict made under the other state is shown again.
  if (trusted !== wasTrusted) supplyChain.reset();
  proxy = typeof p.proxy === 'string' ? p.proxy : undefined;
  void refreshRegistrySettings();
});

async function validate(doc: TextDocument): Promise<void> {
  await runSafe(log, 'validate', undefined, async () => {
    const settings = await settingsFor(doc.uri);
    const current = documents.get(doc.uri);
    if (!current || current.version !== doc.version) return; // a newer version is on its way
    if (!settings.validateEnable) {
      void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: [] });
      return;
    }
    const entry = analyses.compute(doc, settings);
    const a = entry.analysis;
    // The engine applied the rule settings to its findings; the layout's own are set here.
    const findings = withRuleSettings(await layouts.findings(doc, a), settings.rules);
    if (documents.get(doc.uri)?.version !== doc.version) return;
    // The engine stopped at maxProblems; a layout's findings come on top: capped together.
    const { diagnostics, notice } = capped(doc, findings, settings, a.truncated);
    if (isRemoteUri(doc.uri)) diagnostics.push(...deep.diagnostics(doc, a, { enabled: settings.deepInspection, maxEntries: settings.deepInspectionMaxEntries }));
    if (entry.skippedBytes !== undefined) {
      diagnostics.push({
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
        severity: 3,
        source: SOURCE,
        code: 'file-too-large',
        message: `Not linted: ${(entry.skippedBytes / 1048576).toFixed(1)} MiB is over manifestLens.validate.maxFileSizeMB (${settings.maxFileSizeMB}). Registries refuse manifests over 4 MiB anyway.`,
      });
    }
    if (notice) diagnostics.push(notice);
    void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  });
}

// An opened document is linted at once; a change waits for the debounce (lsp/analysisService.ts).
// The memory of closed large documents is given back once the server is idle (lsp/idleCollect.ts).
const idle = new IdleCollector({ log });
// A fetched document whose lenses VS Code never asked for (the request it scheduled was dropped
// when the editor lost focus) gets a refresh, and only then (lsp/lensWatch.ts).
let lensRefreshing = false;
const lensWatch = new LensWatch({
  log,
  refresh: () => {
    if (!codeLensRefresh || lensRefreshing) return;
    lensRefreshing = true;
    void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined).finally(() => { lensRefreshing = false; });
  },
});
documents.onDidOpen((e) => {
  idle.busy();
  analyses.openNow(e.document, () => void validate(e.document));
  if (codeLensRefresh && isRemoteUri(e.document.uri)) lensWatch.opened(e.document.uri);
});
documents.onDidChangeContent((e) => { idle.busy(); analyses.schedule(e.document, () => void validate(e.document)); });
documents.onDidClose((e) => {
  idle.closed(e.document.getText().length);
  lensWatch.closed(e.document.uri);
  const pretty = isRemoteUri(e.document.uri) ? withRaw(e.document.uri, false) : undefined;
  if (pretty && !viewsOf(pretty).some((d) => d.uri !== e.document.uri)) deep.forget(pretty);
  analyses.forget(e.document.uri);
  settingsCache.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  layouts.closed(e.document.uri); // a layout's document: its findings as on disk, in Problems
});

connection.onHover((params) =>
  runSafe(log, 'hover', null, async () => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return null;
    const { analysis } = await analyses.forQuery(doc);
    const h = hoverAt(analysis, doc.offsetAt(params.position));
    if (!h) return null;
    const extra = (h.document ? fetchedHoverSection(remote.fetched(doc.uri)) + supplyChain.hoverSection(remote.fetched(doc.uri)) : '') + layouts.hoverSection(doc, analysis, doc.offsetAt(params.position));
    return {
      contents: { kind: MarkupKind.Markdown, value: h.markdown + extra },
      range: { start: doc.positionAt(h.offset), end: doc.positionAt(h.offset + h.length) },
    };
  }),
);

connection.onCompletion((params) =>
  runSafe(log, 'completion', [], async () => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return [];
    const { analysis } = await analyses.forQuery(doc);
    return completionsAt(analysis, doc.offsetAt(params.position)).map((c) => ({
      label: c.label,
      kind: c.kind === 'snippet' ? CompletionItemKind.Snippet : c.kind === 'property' ? CompletionItemKind.Property : CompletionItemKind.Value,
      detail: c.detail,
      documentation: c.documentation ? { kind: MarkupKind.Markdown, value: c.documentation } : undefined,
      sortText: c.sortText,
      preselect: c.preselect,
      filterText: c.kind === 'snippet' ? undefined : JSON.stringify(c.label),
      insertTextFormat: c.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
      textEdit: { range: { start: doc.positionAt(c.offset), end: doc.positionAt(c.offset + c.length) }, newText: c.insertText },
    }));
  }),
);

connection.onCodeAction((params) =>
  runSafe(log, 'codeAction', [], async () => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return [];
    if (isRemoteUri(doc.uri)) {
      // Fetched documents are read-only: what can be done is Repair in registry… (a command; it asks first).
      const { analysis } = await analyses.get(doc);
      return repairOffers(doc, analysis, params.context.diagnostics);
    }
    const { analysis } = await analyses.get(doc);
    const actions: CodeAction[] = [];
    const conversions = new Set<'oci' | 'docker'>();
    const conversionDiagnostics: Diagnostic[] = [];
    for (const d of params.context.diagnostics) {
      if (d.source !== SOURCE) continue;
      const start = doc.offsetAt(d.range.start);
      const end = doc.offsetAt(d.range.end);
      // Re-derive from this version's analysis: edits are never stale, messages never matched.
      const f = analysis.findings.find((x) => x.ruleId === d.code && x.offset === start && x.offset + x.length === end);
      if (!f) continue;
      for (const fix of f.fixes) actions.push(toCodeAction(doc, fix, [d]));
      for (const c of f.conversions ?? []) { conversions.add(c); conversionDiagnostics.push(d); }
    }
    if (analysis.root) {
      for (const target of conversions) {
        const fix = conversionFix({ text: analysis.text, root: analysis.root, kind: analysis.kind }, target);
        // While the text is broken, a conversion that would edit the damaged part is not offered.
        if (fix && !touchesDamage(analysis.damaged, fix)) actions.push(toCodeAction(doc, fix, conversionDiagnostics));
      }
    }
    return actions;
  }),
);

/** Repair in registry… for a fetched document, when writes are allowed and a family conversion fixes its (or its children's) problems. */
async function repairOffers(doc: TextDocument, analysis: Awaited<ReturnType<typeof analyses.get>>['analysis'], context: readonly Diagnostic[] = []): Promise<CodeAction[]> {
  if (writesRefused()) return [];
  const settings = await settingsFor(doc.uri);
  const deepCodes = deep.diagnostics(doc, analysis, { enabled: settings.deepInspection, maxEntries: settings.deepInspectionMaxEntries }).map((d) => d.code);
  return repairActions(doc.uri, remote.fetched(doc.uri), analysis.findings, deepCodes, context);
}

/**
 * The same as a CodeLens above the first field: VS Code offers no Ctrl+. in a read-only editor (the
 * Problems panel's light bulb still shows the code action).
 */
async function repairLenses(doc: TextDocument, analysis: Awaited<ReturnType<typeof analyses.get>>['analysis']) {
  // Next to "Show raw bytes" (above the first field), not on the provenance line.
  const first = analysis.root?.children?.[0];
  const p = doc.positionAt(first ? first.offset : 0);
  const at = { start: p, end: p };
  return (await repairOffers(doc, analysis)).map((a) => ({ range: at, command: { ...a.command!, title: `$(wrench) ${a.title.replace(/ \(all (OCI|Docker):.*\)$/, ' (to $1)')}` } }));
}

connection.onDocumentSymbol((params) =>
  runSafe(log, 'documentSymbol', [], async () => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return [];
    const { analysis } = await analyses.forQuery(doc);
    const toSymbol = (s: OutlineSymbol): DocumentSymbol => ({
      name: s.name,
      detail: s.detail,
      kind: s.kind === 'document' ? SymbolKind.File : s.kind === 'descriptor' ? SymbolKind.Object : SymbolKind.Field,
      range: { start: doc.positionAt(s.offset), end: doc.positionAt(s.offset + s.length) },
      selectionRange: { start: doc.positionAt(s.selectionOffset), end: doc.positionAt(s.selectionOffset + s.selectionLength) },
      children: s.children.map(toSymbol),
    });
    return outline(analysis).map(toSymbol);
  }),
);

connection.onCodeLens((params) =>
  runSafe(log, 'codeLens', [], async () => {
    lensWatch.asked(params.textDocument.uri);
    const doc = documents.get(params.textDocument.uri);
    if (!doc || !isRemoteUri(doc.uri)) return [];
    const { analysis } = await analyses.get(doc);
    await supplyChain.settle(remote.fetched(doc.uri));
    return [
      ...remote.codeLenses(doc, analysis),
      ...deep.codeLenses(doc, analysis),
      ...(await repairLenses(doc, analysis)),
      ...supplyChain.codeLenses(doc, analysis, remote.fetched(doc.uri)),
    ];
  }),
);

connection.onDocumentLinks((params) =>
  runSafe(log, 'documentLink', [], async () => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return [];
    const { analysis } = await analyses.forQuery(doc);
    return layouts.links(doc, analysis);
  }),
);

connection.onDefinition((params) =>
  runSafe(log, 'definition', null, async () => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return null;
    const { analysis } = await analyses.forQuery(doc);
    return layouts.definition(doc, analysis, doc.offsetAt(params.position));
  }),
);

connection.onDidChangeWatchedFiles((params) => {
  try {
    layouts.filesChanged(params?.changes ?? []);
  } catch (err) {
    log(`didChangeWatchedFiles: ${err instanceof Error ? err.message : String(err)}`);
  }
});

connection.onShutdown(() => {
  shutdownReceived();
  layouts.dispose();
  idle.dispose();
  lensWatch.dispose();
});

function abortOn(token: CancellationToken): AbortSignal {
  const ac = new AbortController();
  if (token.isCancellationRequested) ac.abort();
  token.onCancellationRequested(() => ac.abort());
  return ac.signal;
}

// Each custom request's params are checked first (lsp/params.ts): a missing or mistyped field is
// InvalidParams naming it, never a TypeError's text nor a request to a registry.
const SIDE = { uri: 'string?', reference: 'string?', text: 'string?', label: 'string?' } as const;
connection.onRequest(Requests.validateReference, (p: ValidateReferenceParams): ValidateReferenceResult => ({
  message: remote.validate(requireParams<ValidateReferenceParams>(Requests.validateReference, p, { text: 'string' }).text) ?? null,
}));
connection.onRequest(Requests.inspect, (p: InspectParams, token) => remote.inspect(requireParams<InspectParams>(Requests.inspect, p, { reference: 'string' }).reference, abortOn(token)));
connection.onRequest(Requests.open, (p: OpenParams, token) => remote.open(requireParams<OpenParams>(Requests.open, p, { uri: 'string' }).uri, abortOn(token)));
connection.onRequest(Requests.checkTag, (p: CheckTagParams, token) => remote.checkTag(requireParams<CheckTagParams>(Requests.checkTag, p, { uri: 'string' }).uri, abortOn(token)));
connection.onRequest(Requests.compare, (p: CompareParams, token) => compareDocuments(remote, client, requireParams(Requests.compare, p, { left: SIDE, right: SIDE }), abortOn(token)));
connection.onRequest(Requests.explorerRegistries, (p: ExplorerRegistriesParams) => explorerRegistries(requireParams(Requests.explorerRegistries, p ?? {}, { added: 'string[]?' })));
connection.onRequest(Requests.explorerRepositories, (p: ExplorerRepositoriesParams, token) =>
  explorerRepositories(client(), requireParams(Requests.explorerRepositories, p, { registry: 'string', page: 'string?' }), abortOn(token)),
);
connection.onRequest(Requests.explorerTags, (p: ExplorerTagsParams, token) =>
  explorerTags(client(), requireParams(Requests.explorerTags, p, { registry: 'string', repository: 'string', page: 'string?' }), abortOn(token)),
);
connection.onRequest(Requests.explorerGraph, (p: ExplorerGraphParams, token) => explorerGraph(client(), requireParams(Requests.explorerGraph, p, { reference: 'string' }), abortOn(token)));
connection.onRequest(Requests.explorerResolve, (p: ExplorerResolveParams, token) => explorerResolve(client(), requireParams(Requests.explorerResolve, p, { reference: 'string' }), abortOn(token)));
connection.onRequest(Requests.explorerLevel, (p: ExplorerLevelParams, token) =>
  explorerLevel(client(), requireParams(Requests.explorerLevel, p, { registry: 'string', repository: 'string', ref: 'string' }), abortOn(token)),
);
connection.onRequest(Requests.explorerSupplyChain, (p: ExplorerSupplyChainParams, token) =>
  supplyChain.report(requireParams(Requests.explorerSupplyChain, p, { registry: 'string', repository: 'string', digest: 'string', index: 'string?' }), abortOn(token)).catch((e: unknown) => {
    throw toResponseError(e);
  }),
);
connection.onRequest(Requests.explorerReferrers, (p: ExplorerReferrersParams, token) =>
  explorerReferrers(client(), requireParams(Requests.explorerReferrers, p, { registry: 'string', repository: 'string', digest: 'string' }), abortOn(token)),
);
connection.onRequest(Requests.imageMap, (p: ImageMapParams, token) => imageMap(client(), requireParams(Requests.imageMap, p, { reference: 'string?', uri: 'string?' }), abortOn(token)));
connection.onRequest(Requests.repairPlan, (p: RepairPlanParams, token) => repair.preview(requireParams(Requests.repairPlan, p, { uri: 'string', to: 'string' }), abortOn(token)));
connection.onRequest(Requests.repairApply, (p: RepairApplyParams, token) =>
  repair.apply(requireParams(Requests.repairApply, p, { uri: 'string', to: 'string', mode: 'string', tag: 'string?', expectDigest: 'string' }), abortOn(token)),
);
connection.onRequest(Requests.pushManifest, (p: PushManifestParams, token) =>
  repair.push(requireParams(Requests.pushManifest, p, { text: 'string', reference: 'string', mode: 'string', expectTagDigest: 'string?' }), abortOn(token)),
);
connection.onRequest(Requests.audit, (p: AuditParams, token) => {
  const params = requireParams<AuditParams>(Requests.audit, p, { registry: 'string', prefix: 'string?' });
  return auditWithProgress(connection, client(), params, abortOn(token));
});

documents.listen(connection);
connection.listen();
