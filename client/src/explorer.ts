/**
 * The registry explorer, a tree view in the Manifest Lens view container: registries (from the
 * docker and containers auth files, plus the ones added here) → repositories (the registry's
 * catalog where it allows one, plus the ones added or inspected) → tags (a page at a time) → the
 * tag's index or manifest → platforms → config and layers with sizes → referrers grouped by
 * artifactType. Every level is asked of the language server when it is expanded (a tag: its
 * document and its entries checked; a nested index, a referrer or the referrers group: when
 * expanded themselves); a tag's digest on hover and Copy Digest is a HEAD, which Docker Hub does
 * not count. A refresh cancels what is still loading. Each node opens read-only like Inspect,
 * copies its reference or digest, and shows its problems in its icon and tooltip, and the
 * registry's rate limit when its request returned one.
 */
import * as vscode from 'vscode';
import { fallbackNote, fallbackTag, fallbackTagRow, levelProblems, messageRow, oneLine, problemRow, registrySource, shortDigest as short, splitTags, supplyChainRow, tagDescription, type FallbackTag } from '../../common/explorerRows';
import { compactSize } from '../../common/units';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  CommandIds,
  HISTORY_KEY,
  Requests,
  type ExplorerGraph,
  type ExplorerListing,
  type ExplorerReferrers,
  type ExplorerRegistry,
  type ExplorerResolved,
  type GraphNode,
  type GraphProblem,
  type SupplyChainItem,
  type SupplyChainReport,
} from './ids';

const ADDED_REGISTRIES = 'manifestLens.explorer.registries';
const ADDED_REPOSITORIES = 'manifestLens.explorer.repositories';

export type Item =
  | { readonly type: 'registry'; readonly registry: string; readonly source: string; readonly origin?: 'added' | 'inspected' }
  | { readonly type: 'repository'; readonly registry: string; readonly repository: string }
  | { readonly type: 'tag'; readonly registry: string; readonly repository: string; readonly tag: string; readonly fallback?: FallbackTag }
  | { readonly type: 'more'; readonly parent: Item; readonly next: string }
  | { readonly type: 'node'; readonly node: GraphNode; readonly repository: string; readonly registry: string; readonly index?: string }
  | { readonly type: 'supplyChain'; readonly owner: string; readonly index?: string; readonly registry: string; readonly repository: string }
  | { readonly type: 'attachment'; readonly item: SupplyChainItem }
  | { readonly type: 'referrers'; readonly owner: string; readonly registry: string; readonly repository: string }
  | { readonly type: 'artifactType'; readonly artifactType: string; readonly nodes: readonly GraphNode[]; readonly registry: string; readonly repository: string }
  | { readonly type: 'problem'; readonly problem: GraphProblem }
  | { readonly type: 'message'; readonly text: string; readonly error?: boolean };

function keyOf(item: Item): string {
  switch (item.type) {
    case 'registry': return `r:${item.registry}`;
    case 'repository': return `p:${item.registry}/${item.repository}`;
    case 'tag': return `t:${item.registry}/${item.repository}:${item.tag}`;
    default: return '';
  }
}

/** The key of one level: a tag or a digest of a repository. */
function levelKey(registry: string, repository: string, ref: string): string {
  return `${registry}/${repository}|${ref}`;
}

/** A tooltip line `- name: value` whose value is registry text, appended as plain text (escaped, one line). */
function fact(md: vscode.MarkdownString, name: string, value: string): void {
  md.appendMarkdown(`- ${name}: `);
  md.appendText(oneLine(value));
  md.appendMarkdown('\n');
}


/** The registry part of an inspected reference (`host:port/repo:tag` → host:port), docker.io otherwise. */
function splitReference(reference: string): { registry: string; repository: string } | undefined {
  const name = reference.split('@')[0].replace(/:[^/:]+$/, '');
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) return { registry: first, repository: name.slice(slash + 1) };
  return { registry: 'docker.io', repository: name.includes('/') ? name : `library/${name}` };
}

export class RegistryExplorer implements vscode.TreeDataProvider<Item>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Item | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private cts = new vscode.CancellationTokenSource();
  /** Names loaded so far per registry or repository (pages appended by "Load more"), and where the next page is. */
  private readonly pages = new Map<string, { names: string[]; next?: string; note?: string; fallback?: string[] }>();
  /** Levels by `registry/repository|tag-or-digest`, as the server answered them. */
  private readonly levels = new Map<string, Promise<ExplorerGraph>>();
  private readonly referrerLists = new Map<string, Promise<ExplorerReferrers>>();
  private readonly supplyChains = new Map<string, Promise<SupplyChainReport>>();
  /** Levels that arrived, for nodes whose icon was drawn before their problems were known. */
  private readonly loaded = new Map<string, GraphNode>();
  /** A tag's digest as last seen (HEAD on hover, or its level). */
  private readonly tagHeads = new Map<string, ExplorerResolved>();
  /** A tag's problems (its level's), once it was expanded. */
  private readonly tagProblems = new Map<string, GraphProblem[]>();
  private readonly rateLimits = new Map<string, string>();
  private readonly ids = new WeakMap<Item, string>();
  /** The expansions still loading, each with its own token: collapsing the node cancels it. */
  private readonly expanding = new Map<Item, vscode.CancellationTokenSource>();
  private readonly collapsedLoads = new WeakSet<vscode.CancellationTokenSource>();

  constructor(private readonly context: vscode.ExtensionContext, private readonly client: () => Promise<LanguageClient | undefined>) {}

  refresh(): void {
    this.cts.cancel();
    this.cts.dispose();
    this.cts = new vscode.CancellationTokenSource();
    this.pages.clear();
    this.levels.clear();
    this.referrerLists.clear();
    this.supplyChains.clear();
    this.loaded.clear();
    this.tagHeads.clear();
    this.tagProblems.clear();
    this.emitter.fire(undefined);
  }

  private async request<T>(method: string, params: object, token: vscode.CancellationToken = this.cts.token): Promise<T> {
    const c = await this.client();
    if (!c) throw new Error('the language server is not running');
    return c.sendRequest<T>(method, params, token);
  }

  getTreeItem(item: Item): vscode.TreeItem {
    const t = this.treeItem(item);
    t.id = this.ids.get(item);
    return t;
  }

  /**
   * Each item's id: its path in the tree, the same when a redraw makes the item anew, so that
   * what was expanded stays expanded (see redraw).
   */
  private name(parent: Item | undefined, items: Item[]): Item[] {
    const base = parent ? this.ids.get(parent) ?? keyOf(parent) : '';
    items.forEach((c, i) => this.ids.set(c, `${base}/${keyOf(c) || `${i}:${c.type}`}`));
    return items;
  }

  private treeItem(item: Item): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (item.type) {
      case 'registry': {
        const t = new vscode.TreeItem(item.registry, C.Collapsed);
        t.description = [item.origin ?? '', this.rateLimits.get(item.registry) ?? ''].filter(Boolean).join(' · ');
        t.tooltip = item.origin === 'added' ? 'Added in the explorer (Add Registry…)'
          : item.origin === 'inspected' ? 'Named by an image you inspected; add it with "Add Registry…" to keep it listed'
          : `From ${item.source}`;
        t.iconPath = new vscode.ThemeIcon('server');
        t.contextValue = item.origin === 'added' ? 'registry-added' : 'registry';
        return t;
      }
      case 'repository': {
        const t = new vscode.TreeItem(item.repository, C.Collapsed);
        t.iconPath = new vscode.ThemeIcon('repo');
        t.contextValue = 'repository';
        return t;
      }
      case 'tag': {
        // No tooltip: resolveTreeItem asks for the digest (a HEAD) when the user hovers.
        // A fallback tag under its subject: what it is first, the tag's name after it.
        const row = item.fallback ? fallbackTagRow(item.tag, item.fallback) : undefined;
        const t = new vscode.TreeItem(row?.label ?? item.tag, C.Collapsed);
        t.iconPath = new vscode.ThemeIcon(item.fallback ? 'link' : 'tag');
        t.contextValue = 'tag';
        // The short digest and, once the tag was expanded, its problems.
        const head = this.tagHeads.get(keyOf(item));
        const problems = this.tagProblems.get(keyOf(item));
        t.description = [row?.description ?? '', tagDescription(head?.digest, problems)].filter(Boolean).join(' · ') || undefined;
        return t;
      }
      case 'more': {
        const t = new vscode.TreeItem('Load more…', C.None);
        t.iconPath = new vscode.ThemeIcon('ellipsis');
        t.command = { command: CommandIds.explorerLoadMore, title: 'Load more', arguments: [item] };
        return t;
      }
      case 'referrers': {
        const t = new vscode.TreeItem('referrers', C.Collapsed);
        t.tooltip = 'Signatures, SBOMs and attestations that refer to this manifest: asked of the Referrers API, else the sha256-… fallback tag, when expanded.';
        t.iconPath = new vscode.ThemeIcon('references');
        return t;
      }
      case 'supplyChain': {
        const t = new vscode.TreeItem('signatures and attestations', C.Collapsed);
        t.tooltip = 'cosign signatures and attestations (sha256-….sig/.att tags), Sigstore bundles and notation signatures (referrers), and BuildKit attestations listed by the index, read when expanded; signatures are verified offline against manifestLens.trust.';
        t.iconPath = new vscode.ThemeIcon('shield');
        return t;
      }
      case 'attachment': {
        const i = item.item;
        const row = supplyChainRow(i);
        const t = new vscode.TreeItem(row.label, C.None);
        t.description = row.description;
        t.iconPath = row.icon === 'verified' ? new vscode.ThemeIcon('verified', new vscode.ThemeColor('testing.iconPassed'))
          : row.icon === 'error' ? new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'))
          : row.icon === 'warning' ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
          : new vscode.ThemeIcon(row.icon);
        // Registry text as plain text, escaped.
        const md = new vscode.MarkdownString();
        md.appendMarkdown('**');
        md.appendText(row.label);
        md.appendMarkdown('**\n\n');
        fact(md, 'verdict', i.verdict ? `${i.verdict.text}${i.verdict.reason ? ` — ${i.verdict.reason}` : ''}${i.verdict.by ? ` (by ${i.verdict.by})` : ''}` : 'no signature of its own');
        for (const n of i.verdict?.notes ?? []) fact(md, 'note', n);
        if (i.predicateType) fact(md, 'predicate type', i.predicateType);
        if (i.summary) fact(md, 'summary', i.summary);
        if (i.signer) fact(md, 'signer', i.signer);
        if (i.signedAt) fact(md, 'signed', `${i.signedAt.time} (${i.signedAt.source === 'rekor' ? "Rekor's integrated time" : i.signedAt.source === 'tsa' ? 'an RFC 3161 timestamp' : "the signer's claim"})`);
        if (i.logIndex) fact(md, 'log index', i.logIndex);
        fact(md, 'found', i.where);
        t.tooltip = md;
        t.contextValue = 'attachment';
        if (i.uri) t.command = { command: CommandIds.openRemote, title: 'Open', arguments: [i.uri] };
        return t;
      }
      case 'artifactType': {
        const t = new vscode.TreeItem(item.artifactType, C.Collapsed);
        t.description = `${item.nodes.length}`;
        t.iconPath = new vscode.ThemeIcon('symbol-file');
        return t;
      }
      case 'problem': {
        const p = item.problem;
        const row = problemRow(p);
        const t = new vscode.TreeItem(row.label, C.None);
        t.description = row.description;
        t.tooltip = `${p.severity} ${p.ruleId}\n\n${p.message}`; // plain text: the message may quote the registry
        t.iconPath = p.severity === 'error' ? new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'))
          : p.severity === 'warning' ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
          : new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground'));
        t.contextValue = 'problem';
        return t;
      }
      case 'message': {
        const row = messageRow(item.text);
        const t = new vscode.TreeItem(row.label, C.None);
        t.description = row.description;
        t.iconPath = new vscode.ThemeIcon(item.error ? 'error' : 'info');
        t.tooltip = item.text;
        return t;
      }
      case 'node':
        return this.nodeItem(item);
    }
  }

  private nodeItem(item: Extract<Item, { type: 'node' }>): vscode.TreeItem {
    const n = this.loaded.get(levelKey(item.registry, item.repository, item.node.digest)) ?? item.node;
    const fetchable = n.kind === 'index' || n.kind === 'manifest' || n.kind === 'referrer';
    const expandable = fetchable || n.children.length > 0 || n.problems.length > 0;
    const t = new vscode.TreeItem(n.label, expandable ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    const facts = [short(n.digest), compactSize(n.size)];
    if (n.kind === 'manifest' && n.layerCount !== undefined) facts.push(`${n.layerCount} layer${n.layerCount === 1 ? '' : 's'}, ${compactSize(n.totalSize)} total`);
    if (n.kind === 'index') facts.push(`${compactSize(n.totalSize)} of blobs`);
    t.description = facts.join(' · ');
    const worst = n.problems.some((p) => p.severity === 'error') ? 'error' : n.problems.some((p) => p.severity === 'warning') ? 'warning' : undefined;
    const icon = { index: 'layers', manifest: 'package', config: 'settings-gear', layer: 'file-zip', referrer: 'link', unknown: 'question' }[n.kind];
    t.iconPath = worst
      ? new vscode.ThemeIcon(worst, new vscode.ThemeColor(worst === 'error' ? 'problemsErrorIcon.foreground' : 'problemsWarningIcon.foreground'))
      : new vscode.ThemeIcon(icon);
    // Registry text (labels, media types, digests, messages) goes in as plain text, escaped.
    const md = new vscode.MarkdownString();
    md.appendMarkdown('**');
    md.appendText(oneLine(n.label));
    md.appendMarkdown(`** — ${n.kind}\n\n`);
    fact(md, 'digest', n.digest);
    fact(md, 'media type', n.mediaType ?? 'none');
    md.appendMarkdown(`- size: ${n.size ?? '?'} bytes\n`);
    if (n.totalSize !== undefined) md.appendMarkdown(`- compressed total: ${compactSize(n.totalSize)}${n.layerCount !== undefined ? ` in ${n.layerCount} layer(s) and the config` : ''}\n`);
    if (n.attestationOf) fact(md, 'the attestation of', n.attestationOf);
    if (n.rateLimit) fact(md, 'rate limit', n.rateLimit);
    if (n.problems.length) {
      md.appendMarkdown('\n**Problems**\n\n');
      for (const p of n.problems.slice(0, 10)) fact(md, `${p.severity} ${p.ruleId}`, p.message);
      if (n.problems.length > 10) md.appendMarkdown(`- … ${n.problems.length - 10} more (open it to see them all)\n`);
    }
    t.tooltip = md;
    t.contextValue = n.uri ? 'node-openable' : 'node';
    if (n.uri) t.command = { command: CommandIds.openRemote, title: 'Open', arguments: [n.uri] };
    return t;
  }

  async getChildren(item?: Item): Promise<Item[]> {
    if (!item) return this.name(undefined, await this.children(undefined, this.cts.token).catch(() => []));
    // Its own token, cancelled by a refresh (this.cts) or by collapsing the node while it loads.
    const cts = new vscode.CancellationTokenSource();
    const linked = this.cts.token.onCancellationRequested(() => cts.cancel());
    this.expanding.set(item, cts);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const out = await this.children(item, cts.token);
          if (!this.collapsedLoads.has(cts)) return this.name(item, out);
        } catch {
          // A cancelled request. Another expansion's, when this one was not cancelled: it waited
          // on the same level (the same digest elsewhere in the tree), which is forgotten now, so
          // asking once more fetches it afresh under this expansion's own token.
          if (!cts.token.isCancellationRequested && attempt === 0) continue;
        }
        // Collapsed while loading: VS Code would keep the empty answer; marking the node changed
        // makes it ask again at the next expansion. (A refresh redraws the whole tree itself.)
        if (this.collapsedLoads.has(cts)) setTimeout(() => this.emitter.fire(item), 0);
        return [];
      }
    } finally {
      if (this.expanding.get(item) === cts) this.expanding.delete(item);
      linked.dispose();
      cts.dispose();
    }
  }

  /**
   * Redraws the rows whose level arrived after they were drawn. The whole tree, not the row: VS
   * Code (1.10x) forgets the children of a row refreshed on its own without asking for them
   * again, and the rows below then name nodes it no longer has ("No tree item with id …") and
   * expand to nothing. A whole refresh asks again for every expanded row; the ids keep them
   * expanded, and every level is cached, so it sends no request but the registries' list.
   */
  private redraw(): void {
    if (this.redrawing) return;
    this.redrawing = setTimeout(() => {
      this.redrawing = undefined;
      this.emitter.fire(undefined);
    }, 0);
  }

  private redrawing: ReturnType<typeof setTimeout> | undefined;

  /** VS Code collapsed `item`: what it is still loading is not wanted any more. */
  collapsed(item: Item): void {
    const cts = this.expanding.get(item);
    if (!cts) return;
    this.collapsedLoads.add(cts);
    cts.cancel();
  }

  private async children(item: Item | undefined, token: vscode.CancellationToken): Promise<Item[]> {
    try {
      if (!item) return await this.registries();
      switch (item.type) {
        case 'registry': return await this.listed(item, Requests.explorerRepositories, { registry: item.registry }, (name) => ({ type: 'repository', registry: item.registry, repository: name }), this.knownRepositories(item.registry), token);
        case 'repository': return await this.listed(item, Requests.explorerTags, { registry: item.registry, repository: item.repository }, (name) => ({ type: 'tag', registry: item.registry, repository: item.repository, tag: name }), [], token);
        case 'tag': {
          const g = await this.level(item.registry, item.repository, item.tag, token);
          const key = keyOf(item);
          const first = !this.tagProblems.has(key);
          this.tagHeads.set(key, { digest: g.digest, mediaType: g.root.mediaType, rateLimit: g.root.rateLimit });
          this.tagProblems.set(key, levelProblems(g.root));
          // Its row was drawn before its digest and problems were known: redraw it once.
          if (first) this.redraw();
          return [...this.nodeChildren(g.root, item.registry, item.repository, true), ...leftOutRow(g)];
        }
        case 'node': {
          if (!item.node.unexpanded) return this.nodeChildren(item.node, item.registry, item.repository, false, item.index);
          const key = levelKey(item.registry, item.repository, item.node.digest);
          const first = !this.loaded.has(key);
          const g = await this.level(item.registry, item.repository, item.node.digest, token);
          // The level keeps what the parent knew of the node (its label, the entry's platform).
          const n: GraphNode = { ...item.node, ...g.root, label: item.node.label, position: item.node.position, platform: item.node.platform, attestationOf: item.node.attestationOf, unexpanded: false, uri: item.node.uri ?? g.root.uri };
          this.loaded.set(key, n);
          // Its icon was drawn before its problems were known: redraw it once.
          if (first && n.problems.length) this.redraw();
          return [...this.nodeChildren(n, item.registry, item.repository, false, item.index), ...leftOutRow(g)];
        }
        case 'referrers': {
          const r = await this.referrers(item.registry, item.repository, item.owner, token);
          if (r.nodes.length === 0) return [{ type: 'message', text: r.via === 'referrers-api' ? 'No referrers (Referrers API).' : 'No referrers (no Referrers API, no sha256-… tag).' }];
          const groups = new Map<string, GraphNode[]>();
          for (const n of r.nodes) groups.set(n.artifactType ?? n.mediaType ?? 'unknown', [...(groups.get(n.artifactType ?? n.mediaType ?? 'unknown') ?? []), n]);
          return [...groups].map(([artifactType, nodes]) => ({ type: 'artifactType', artifactType, nodes, registry: item.registry, repository: item.repository }));
        }
        case 'supplyChain': {
          const r = await this.supplyChain(item, token);
          const rows: Item[] = r.items.map((i) => ({ type: 'attachment', item: i }));
          if (rows.length === 0) rows.push({ type: 'message', text: 'None found (cosign tags sha256-….sig/.att, referrers).' });
          for (const p of r.problems) rows.push({ type: 'message', text: p, error: true });
          if (r.items.some((i) => i.verdict) && /^(no trust configured|untrusted workspace|not read)/.test(r.trust)) rows.push({ type: 'message', text: `Trust: ${r.trust}. Set manifestLens.trust.keys (PEM files), .trustedRoot with .identities, or .notationConfig.` });
          return rows;
        }
        case 'artifactType': return item.nodes.map((node) => ({ type: 'node', node, registry: item.registry, repository: item.repository }));
        default: return [];
      }
    } catch (e) {
      if (e instanceof vscode.CancellationError || (e as { code?: number }).code === -32800) throw e; // getChildren decides
      return [{ type: 'message', text: e instanceof Error ? e.message : String(e), error: true }];
    }
  }

  /** A tag's hover: its digest, media type and size by HEAD (not counted by Docker Hub), and the rate limit. */
  async resolveTreeItem(t: vscode.TreeItem, item: Item, token: vscode.CancellationToken): Promise<vscode.TreeItem> {
    if (item.type !== 'tag') return t;
    const reference = `${item.registry}/${item.repository}:${item.tag}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown('**');
    md.appendText(oneLine(reference));
    md.appendMarkdown('**\n\n');
    try {
      const head = await this.resolve(item, token);
      fact(md, 'digest', head.digest ?? 'not sent by the registry');
      fact(md, 'media type', head.mediaType ?? 'none');
      if (head.size !== undefined) md.appendMarkdown(`- size: ${head.size} bytes\n`);
      if (head.rateLimit) fact(md, 'rate limit', head.rateLimit);
      const problems = this.tagProblems.get(keyOf(item));
      if (problems) md.appendMarkdown(`- problems: ${tagDescription(undefined, problems)}\n`);
    } catch (e) {
      if (token.isCancellationRequested) return t;
      md.appendText(oneLine(e instanceof Error ? e.message : String(e)));
    }
    t.tooltip = md;
    return t;
  }

  /** A tag's HEAD, once per tag until a refresh. */
  private async resolve(item: Extract<Item, { type: 'tag' }>, token?: vscode.CancellationToken): Promise<ExplorerResolved> {
    const known = this.tagHeads.get(keyOf(item));
    if (known) return known;
    const head = await this.request<ExplorerResolved>(Requests.explorerResolve, { reference: `${item.registry}/${item.repository}:${item.tag}` }, token);
    this.tagHeads.set(keyOf(item), head);
    if (head.rateLimit) this.noteRateLimit(item, head.rateLimit);
    return head;
  }

  /** The problems of a node as messages, its children, and for a manifest or index its referrers (asked for when expanded). */
  private nodeChildren(n: GraphNode, registry: string, repository: string, root: boolean, index?: string): Item[] {
    const out: Item[] = [];
    // The root's own node is not shown (the tag stands for it): its problems are.
    if (root || n.problems.length) for (const p of n.problems) out.push({ type: 'problem', problem: p });
    for (const c of n.children) out.push({ type: 'node', node: c, registry, repository, ...(n.kind === 'index' ? { index: n.digest } : {}) });
    if (n.notFetched) out.push({ type: 'message', text: `${n.notFetched} more entries not fetched (open the index to see them all)` });
    // cosign's sha256-<hex>.sig/.att/.sbom tags of this manifest, left out of the tag list.
    for (const tag of this.pages.get(keyOf({ type: 'repository', registry, repository }))?.fallback ?? []) {
      const f = fallbackTag(tag);
      if (f && f.what !== 'referrers' && f.subject === n.digest) out.push({ type: 'tag', registry, repository, tag, fallback: f });
    }
    if ((n.kind === 'index' || n.kind === 'manifest') && /^sha256:[0-9a-f]{64}$/.test(n.digest)) out.push({ type: 'referrers', owner: n.digest, registry, repository });
    // Its signatures and attestations (not for an attestation manifest itself: they are its subject's).
    if ((n.kind === 'index' || n.kind === 'manifest') && n.attestationOf === undefined && /^sha256:[0-9a-f]{64}$/.test(n.digest)) {
      out.push({ type: 'supplyChain', owner: n.digest, registry, repository, ...(index && /^sha256:[0-9a-f]{64}$/.test(index) ? { index } : {}) });
    }
    return out;
  }

  private level(registry: string, repository: string, ref: string, token?: vscode.CancellationToken): Promise<ExplorerGraph> {
    const key = levelKey(registry, repository, ref);
    let g = this.levels.get(key);
    if (!g) {
      // A cancelled level rejects and is forgotten (below), so the next expansion asks again.
      g = this.request<ExplorerGraph>(Requests.explorerLevel, { registry, repository, ref }, token);
      g.then((v) => v.root.rateLimit && this.rateLimits.set(registry, v.root.rateLimit), () => this.levels.delete(key));
      this.levels.set(key, g);
    }
    return g;
  }

  private referrers(registry: string, repository: string, digest: string, token?: vscode.CancellationToken): Promise<ExplorerReferrers> {
    const key = levelKey(registry, repository, digest);
    let r = this.referrerLists.get(key);
    if (!r) {
      r = this.request<ExplorerReferrers>(Requests.explorerReferrers, { registry, repository, digest }, token);
      r.then((v) => v.rateLimit && this.rateLimits.set(registry, v.rateLimit), () => this.referrerLists.delete(key));
      this.referrerLists.set(key, r);
    }
    return r;
  }

  private supplyChain(item: Extract<Item, { type: 'supplyChain' }>, token?: vscode.CancellationToken): Promise<SupplyChainReport> {
    const key = `${levelKey(item.registry, item.repository, item.owner)}|${item.index ?? ''}`;
    let r = this.supplyChains.get(key);
    if (!r) {
      r = this.request<SupplyChainReport>(Requests.explorerSupplyChain, { registry: item.registry, repository: item.repository, digest: item.owner, ...(item.index ? { index: item.index } : {}) }, token);
      r.then(undefined, () => this.supplyChains.delete(key));
      this.supplyChains.set(key, r);
    }
    return r;
  }

  private async registries(): Promise<Item[]> {
    const added = this.context.globalState.get<string[]>(ADDED_REGISTRIES, []);
    const fromHistory = this.context.globalState.get<string[]>(HISTORY_KEY, []).map(splitReference).flatMap((r) => (r ? [r.registry] : []));
    const list = await this.request<ExplorerRegistry[]>(Requests.explorerRegistries, { added: [...added, ...fromHistory] });
    if (list.length === 0) return [{ type: 'message', text: 'No registries yet: add one with "Add Registry…" (the + above).' }];
    // The server calls both "added": only the ones added here are; the others were inspected.
    return list.map((r) => ({ type: 'registry', registry: r.registry, source: r.source, origin: registrySource(r.registry, r.source, added) }));
  }

  /** Repositories added here or inspected, for registries without a catalog. */
  private knownRepositories(registry: string): string[] {
    const added = this.context.globalState.get<Record<string, string[]>>(ADDED_REPOSITORIES, {})[registry] ?? [];
    const inspected = this.context.globalState.get<string[]>(HISTORY_KEY, []).map(splitReference).filter((r) => r?.registry === registry).map((r) => r!.repository);
    return [...new Set([...added, ...inspected])];
  }

  private async listed(parent: Item, method: string, params: object, make: (name: string) => Item, known: string[], token?: vscode.CancellationToken): Promise<Item[]> {
    const key = keyOf(parent);
    let state = this.pages.get(key);
    if (!state) {
      const page = await this.request<ExplorerListing>(method, params, token);
      state = { names: [...page.names], next: page.next, note: page.unavailable };
      if (page.rateLimit) this.noteRateLimit(parent, page.rateLimit);
      this.pages.set(key, state);
    }
    let names = [...new Set([...state.names, ...known])];
    // Tags: the referrers fallback tags (sha256-<hex>, cosign's .sig/.att/.sbom) are not images to
    // pick; they are shown under their subject (referrers, and the cosign tags by name) and counted.
    const split = parent.type === 'repository' ? splitTags(names) : undefined;
    if (split) {
      names = split.tags;
      state.fallback = split.fallback;
    }
    const items: Item[] = names.map(make);
    if (state.note) items.unshift({ type: 'message', text: state.note });
    if (split?.fallback.length) items.push({ type: 'message', text: fallbackNote(split.fallback.length) });
    if (state.next) items.push({ type: 'more', parent, next: state.next });
    if (items.length === 0) items.push({ type: 'message', text: 'Nothing here.' });
    return items;
  }

  /** "Load more…": the next page of a listing, appended. */
  async loadMore(item: Extract<Item, { type: 'more' }>): Promise<void> {
    const parent = item.parent;
    const key = keyOf(parent);
    const state = this.pages.get(key);
    if (!state || state.next !== item.next) return;
    const method = parent.type === 'registry' ? Requests.explorerRepositories : Requests.explorerTags;
    const params = parent.type === 'registry' ? { registry: parent.registry, page: item.next } : parent.type === 'repository' ? { registry: parent.registry, repository: parent.repository, page: item.next } : undefined;
    if (!params) return;
    const page = await this.request<ExplorerListing>(method, params);
    state.names.push(...page.names);
    state.next = page.next;
    if (page.rateLimit) this.noteRateLimit(parent, page.rateLimit);
    this.emitter.fire(parent);
  }

  private noteRateLimit(item: Item, text: string): void {
    if ('registry' in item) {
      this.rateLimits.set(item.registry, text);
    }
  }

  async addRegistry(): Promise<void> {
    const value = await vscode.window.showInputBox({ title: 'Add Registry', prompt: 'A registry host, e.g. ghcr.io or 127.0.0.1:5055', validateInput: (v) => (/^[A-Za-z0-9.-]+(:\d+)?$/.test(v.trim()) ? undefined : 'host or host:port') });
    if (!value) return;
    const list = this.context.globalState.get<string[]>(ADDED_REGISTRIES, []);
    await this.context.globalState.update(ADDED_REGISTRIES, [...new Set([...list, value.trim()])]);
    this.refresh();
  }

  async addRepository(item?: Item): Promise<void> {
    if (!item || item.type !== 'registry') return;
    const value = await vscode.window.showInputBox({ title: `Add Repository to ${item.registry}`, prompt: 'A repository path, e.g. library/alpine or org/app', validateInput: (v) => (/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(v.trim()) ? undefined : 'lowercase path components separated by /') });
    if (!value) return;
    const all = this.context.globalState.get<Record<string, string[]>>(ADDED_REPOSITORIES, {});
    await this.context.globalState.update(ADDED_REPOSITORIES, { ...all, [item.registry]: [...new Set([...(all[item.registry] ?? []), value.trim()])] });
    this.emitter.fire(item);
  }

  /** The reference a node stands for: `registry/repo:tag`, or `registry/repo@digest`. */
  referenceOf(item?: Item): string | undefined {
    if (!item) return undefined;
    if (item.type === 'tag') return `${item.registry}/${item.repository}:${item.tag}`;
    if (item.type === 'repository') return `${item.registry}/${item.repository}`;
    if (item.type === 'node') return `${item.registry}/${item.repository}@${item.node.digest}`;
    return undefined;
  }

  /** A node's digest; a tag's by HEAD. */
  async digestOf(item?: Item): Promise<string | undefined> {
    if (item?.type === 'tag') return (await this.resolve(item)).digest;
    return item?.type === 'node' ? item.node.digest : undefined;
  }

  dispose(): void {
    this.cts.cancel();
    this.cts.dispose();
    this.emitter.dispose();
  }
}

/** Registers the view and its commands. */
export function registerExplorer(context: vscode.ExtensionContext, client: () => Promise<LanguageClient | undefined>): { explorer: RegistryExplorer; disposables: vscode.Disposable[] } {
  const explorer = new RegistryExplorer(context, client);
  const view = vscode.window.createTreeView('manifestLens.explorer', { treeDataProvider: explorer, showCollapseAll: true });
  return { explorer, disposables: [
    explorer,
    view,
    view.onDidCollapseElement((e) => explorer.collapsed(e.element)),
    vscode.commands.registerCommand(CommandIds.explorerRefresh, () => explorer.refresh()),
    vscode.commands.registerCommand(CommandIds.explorerAddRegistry, () => explorer.addRegistry()),
    vscode.commands.registerCommand(CommandIds.explorerAddRepository, (item?: Item) => explorer.addRepository(item)),
    vscode.commands.registerCommand(CommandIds.explorerLoadMore, (item: Extract<Item, { type: 'more' }>) => explorer.loadMore(item).catch((e: unknown) => {
      void vscode.window.showErrorMessage(`Manifest Lens: ${e instanceof Error ? e.message : String(e)}`);
    })),
    vscode.commands.registerCommand(CommandIds.explorerCopyReference, async (item?: Item) => {
      const ref = explorer.referenceOf(item);
      if (!ref) return;
      await vscode.env.clipboard.writeText(ref);
      vscode.window.setStatusBarMessage(`Copied ${ref}`, 3000);
    }),
    vscode.commands.registerCommand(CommandIds.explorerCopyDigest, async (item?: Item) => {
      try {
        const d = await explorer.digestOf(item);
        if (d) return await vscode.commands.executeCommand(CommandIds.copyDigest, d);
        if (item?.type === 'tag') void vscode.window.showWarningMessage(`Manifest Lens: ${item.registry} sent no digest for ${item.repository}:${item.tag}; open the tag to see it.`);
      } catch (e) {
        void vscode.window.showErrorMessage(`Manifest Lens: ${e instanceof Error ? e.message : String(e)}`);
      }
      return undefined;
    }),
    vscode.commands.registerCommand(CommandIds.explorerInspect, (item?: Item) => {
      const ref = explorer.referenceOf(item);
      return ref ? vscode.commands.executeCommand(CommandIds.inspectRemoteImage, ref) : undefined;
    }),
    vscode.commands.registerCommand(CommandIds.explorerCompare, (item?: Item) => {
      const ref = explorer.referenceOf(item);
      return ref ? vscode.commands.executeCommand(CommandIds.compareWith, ref) : undefined;
    }),
    vscode.commands.registerCommand(CommandIds.explorerShowImageMap, (item?: Item) => {
      const ref = explorer.referenceOf(item);
      return ref ? vscode.commands.executeCommand(CommandIds.showImageMap, ref) : undefined;
    }),
  ] };
}

/** What the graph's budgets left out of a level (nodes, problems), as one message row, when they did. */
function leftOutRow(g: ExplorerGraph): Item[] {
  return g.leftOut ? [{ type: 'message', text: oneLine(g.leftOut) }] : [];
}
