/**
 * "Manifest Lens: Show Image Map" (issue 22): the image as a picture in a webview beside the
 * document. The server builds the data (Requests.imageMap, common/imageMap.ts); the webview's
 * script (webview/imageMap.ts, bundled into dist/imageMap.js) draws it with text only, under a
 * Content-Security-Policy that allows nothing but that script and the inline style, both by nonce.
 * What the webview asks back is checked against the data sent to it: it opens only the URIs of
 * the map's nodes and copies only its digests.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ImageMapModel, ImageMapPair, MapGroup, MapMessage, MapRequest } from '../../common/imageMap';
import { CommandIds, REMOTE_SCHEME, Requests } from './ids';
import { askReference, fetchWithProgress, history, remember, type InspectDeps } from './commands/inspectRemoteImage';

const VIEW_TYPE = 'manifestLens.imageMap';

/** The URIs and digests a map may ask for. */
function allowed(models: readonly ImageMapModel[]): { uris: Set<string>; digests: Set<string> } {
  const uris = new Set<string>();
  const digests = new Set<string>();
  const add = (uri?: string, digest?: string): void => {
    if (uri) uris.add(uri);
    if (digest) digests.add(digest);
  };
  const walk = (g: MapGroup): void => {
    add(g.uri, g.digest);
    for (const b of g.badges) add(b.uri, b.digest);
    for (const c of g.cards) {
      add(c.uri, c.digest);
      add(c.config?.uri, c.config?.digest);
      for (const b of c.badges) add(b.uri, b.digest);
      for (const l of c.layers) add(undefined, l.digest);
    }
    for (const n of g.groups) walk(n);
  };
  for (const m of models) {
    add(m.uri, m.digest);
    walk(m.root);
  }
  return { uris, digests };
}

/** The webview's page: a mount point, the style and the script, each with the nonce. */
export function mapHtml(webview: Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>, scriptUri: vscode.Uri, title: string): string {
  const nonce = randomBytes(18).toString('base64');
  const csp = `default-src 'none'; style-src ${webview.cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}'`;
  const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${esc(title)}</title>
<style nonce="${nonce}">${MAP_CSS}</style>
</head>
<body>
<main id="map" aria-live="polite"><p class="loading">Loading the image map…</p></main>
<script nonce="${nonce}" src="${webview.asWebviewUri(scriptUri).toString()}"></script>
</body>
</html>`;
}

/** One panel: sends its data when the script says it is ready, and answers its requests. */
function showPanel(deps: InspectDeps, title: string, message: MapMessage, models: readonly ImageMapModel[]): vscode.WebviewPanel {
  const dist = vscode.Uri.joinPath(deps.context.extensionUri, 'dist');
  const panel = vscode.window.createWebviewPanel(VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, {
    enableScripts: true,
    localResourceRoots: [dist],
    retainContextWhenHidden: false,
  });
  const ok = allowed(models);
  panel.webview.onDidReceiveMessage(async (m: MapRequest) => {
    if (!m || typeof m !== 'object') return;
    if (m.type === 'ready') void panel.webview.postMessage(message);
    else if (m.type === 'open' && typeof m.uri === 'string' && ok.uris.has(m.uri)) await vscode.commands.executeCommand(CommandIds.openRemote, m.uri);
    else if (m.type === 'copy' && typeof m.digest === 'string' && ok.digests.has(m.digest)) await vscode.commands.executeCommand(CommandIds.copyDigest, m.digest);
  });
  panel.webview.html = mapHtml(panel.webview, vscode.Uri.joinPath(dist, 'imageMap.js'), title);
  return panel;
}

/** The map of a reference or of a fetched document's URI, from the server. */
export function fetchMap(deps: InspectDeps, params: { reference?: string; uri?: string }): Promise<ImageMapModel | undefined> {
  return fetchWithProgress<ImageMapModel>(deps, `Mapping ${params.reference ?? 'the image'}…`, { method: Requests.imageMap, params });
}

/** Opens one map. */
export async function showImageMap(deps: InspectDeps, params: { reference?: string; uri?: string }): Promise<vscode.WebviewPanel | undefined> {
  const model = await fetchMap(deps, params);
  if (!model) return undefined;
  const short = model.reference.split('/').pop() ?? model.reference;
  return showPanel(deps, `Map: ${short}`, { type: 'map', map: model }, [model]);
}

/** Opens two maps side by side with what changed in words above them. */
export async function showImageMapPair(deps: InspectDeps, left: { uri?: string; reference?: string }, right: { uri?: string; reference?: string }, summary: readonly string[]): Promise<vscode.WebviewPanel | undefined> {
  const [a, b] = await Promise.all([fetchMap(deps, left), fetchMap(deps, right)]);
  if (!a || !b) return undefined;
  const pair: ImageMapPair = { left: a, right: b, summary };
  const short = (m: ImageMapModel): string => m.reference.split('/').pop() ?? m.reference;
  return showPanel(deps, `Maps: ${short(a)} ↔ ${short(b)}`, { type: 'pair', pair }, [a, b]);
}

export function registerImageMapCommand(deps: InspectDeps): vscode.Disposable {
  return vscode.commands.registerCommand(CommandIds.showImageMap, async (target?: vscode.Uri | string) => {
    const client = await deps.client();
    if (!client) {
      void vscode.window.showErrorMessage('Manifest Lens: the language server is not running; see the "Manifest Lens" output.');
      return undefined;
    }
    if (target instanceof vscode.Uri && target.scheme === REMOTE_SCHEME) return showImageMap(deps, { uri: target.toString() });
    if (typeof target === 'string' && target) return showImageMap(deps, { reference: target });
    const ref = await askReference(client, history(deps.context), 'Show Image Map');
    if (!ref) return undefined;
    await remember(deps.context, ref);
    return showImageMap(deps, { reference: ref });
  });
}

/** The theme's colours (light, dark, high contrast) through VS Code's --vscode-* variables. */
const MAP_CSS = `
body { color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 0 16px 24px; }
h1 { font-size: 1.3em; margin: 12px 0 4px; word-break: break-all; }
h2 { font-size: 1.05em; margin: 0; }
.header-line { display: flex; gap: 16px; flex-wrap: wrap; align-items: baseline; color: var(--vscode-descriptionForeground); }
.digest, .card-digest, .config { font-family: var(--vscode-editor-font-family); font-size: 0.9em; word-break: break-all; }
.digest { cursor: copy; text-decoration: underline dotted; }
[role="button"] { cursor: pointer; }
[tabindex]:focus { outline: 2px solid var(--vscode-focusBorder); outline-offset: 2px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; margin-top: 12px; }
.card { border: 1px solid var(--vscode-panel-border, var(--vscode-contrastBorder, #8884)); border-radius: 4px; padding: 8px 10px; background: var(--vscode-sideBar-background, transparent); }
.card:hover { border-color: var(--vscode-focusBorder); }
.card-head { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.platform { font-weight: 600; }
.meta, .card-digest { color: var(--vscode-descriptionForeground); }
.track { margin: 8px 0 4px; background: var(--vscode-editorWidget-background, transparent); border: 1px solid var(--vscode-contrastBorder, transparent); }
.bar { display: flex; height: 22px; overflow: hidden; }
.layer { box-sizing: border-box; flex: 0 1 auto; min-width: 2px; height: 100%; background: hsl(var(--hue) 55% 50%); border-right: 1px solid var(--vscode-editor-background); }
.layer.shared { background-image: repeating-linear-gradient(135deg, transparent 0 5px, rgba(255,255,255,0.25) 5px 7px); }
.layer[data-change="added"] { outline: 2px solid var(--vscode-gitDecoration-addedResourceForeground, #3c3); outline-offset: -2px; }
.layer[data-change="removed"] { outline: 2px dashed var(--vscode-gitDecoration-deletedResourceForeground, #c33); outline-offset: -2px; opacity: 0.6; }
.card[data-change="added"] { border-color: var(--vscode-gitDecoration-addedResourceForeground, #3c3); }
.card[data-change="removed"] { border-color: var(--vscode-gitDecoration-deletedResourceForeground, #c33); border-style: dashed; }
.card[data-change="changed"] { border-color: var(--vscode-gitDecoration-modifiedResourceForeground, #c93); }
.config { display: inline-block; margin-top: 2px; color: var(--vscode-textLink-foreground); }
.badges { display: inline-flex; gap: 4px; flex-wrap: wrap; }
.badge { border-radius: 8px; padding: 0 6px; font-size: 0.85em; background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); border: 1px solid var(--vscode-contrastBorder, transparent); }
.problems { border-radius: 8px; padding: 0 6px; font-size: 0.85em; border: 1px solid var(--vscode-contrastBorder, transparent); background: var(--vscode-inputValidation-warningBackground, #a70); color: var(--vscode-foreground); }
.problems.error { background: var(--vscode-inputValidation-errorBackground, #a11); }
.group.nested { margin-top: 16px; padding-left: 12px; border-left: 3px solid var(--vscode-panel-border, #8884); }
.group-head { display: flex; gap: 8px; align-items: center; }
.annotations { display: grid; grid-template-columns: max-content 1fr; gap: 0 8px; margin: 6px 0 0; font-size: 0.85em; color: var(--vscode-descriptionForeground); }
.annotations dd { margin: 0; word-break: break-all; white-space: pre-wrap; }
.left-out { color: var(--vscode-editorWarning-foreground); }
.compare-summary ul { margin: 8px 0; padding-left: 20px; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.sides .cards { grid-template-columns: 1fr; }
`;
