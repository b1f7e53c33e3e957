/**
 * The Image Map webview's script (bundled by scripts/build.mjs into dist/imageMap.js, loaded
 * under a strict Content-Security-Policy with a nonce): waits for the data by postMessage, draws
 * it with renderMap.ts (text only, never HTML), and posts back what the user activates (open a
 * node's document, copy a digest). The extension checks each request against the data it sent.
 */
import type { MapMessage, MapRequest } from '../../../common/imageMap';
import { renderMap, renderPair, type MiniDocument, type MiniElement } from './renderMap';

// The webview's globals, declared here: the client's TypeScript project has no DOM library.
declare const acquireVsCodeApi: () => { postMessage(message: unknown): void };
declare const document: MiniDocument & { getElementById(id: string): (MiniElement & { replaceChildren(...nodes: MiniElement[]): void }) | null };
declare const window: { addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void };

const vscode = acquireVsCodeApi();
const post = (m: MapRequest): void => vscode.postMessage(m);

window.addEventListener('message', (e) => {
  const m = e.data as MapMessage | undefined;
  const mount = document.getElementById('map');
  if (!mount || !m || typeof m !== 'object') return;
  const started = Date.now();
  if (m.type === 'map') mount.replaceChildren(renderMap(document, m.map, post));
  else if (m.type === 'pair') mount.replaceChildren(renderPair(document, m.pair, post));
  else return;
  mount.setAttribute('data-rendered-ms', String(Date.now() - started));
});
post({ type: 'ready' });
