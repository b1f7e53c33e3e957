/**
 * The editor scenarios through the VS Code API, run inside VS Code's extension host by
 * @vscode/test-electron (test/integration/runTest.ts loads this module, bundled, as
 * `extensionTestsPath`, and calls `run()`). The same scenarios as test/e2e, asked of the API
 * instead of read from the screen: diagnostics, hovers, code actions, CodeLenses, the command.
 *
 * Environment (set by runTest.ts):
 *   MANIFEST_LENS_IT_REFS       the sample registry's references (sample-registry.mjs --write-refs)
 *   MANIFEST_LENS_IT_USER_DATA  VS Code's --user-data-dir (to read the "Manifest Lens" output log)
 *   MANIFEST_LENS_IT_RESULTS    where to write the results as JSON (optional)
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Item } from '../../../client/src/explorer';
import type { TestHooks } from '../../../client/src/extension';

const EXTENSION_ID = 'manifest-lens.manifest-lens';
const SOURCE = 'manifest-lens';
const RULE = 'mixed-config-media-type';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const FIX_TITLE = `Set config mediaType to ${OCI_CONFIG}`;

interface Seeded { reference: string; digest: string }
interface Refs { host: string; podman22196: { index: Seeded; amd64: Seeded; arm64: Seeded } }

/**
 * A proxy on 127.0.0.1 in front of the sample registry that holds manifest requests back while
 * `hold` is set, and records each one that its client gave up before it was answered.
 */
async function slowRegistry(target: string): Promise<{ host: string; hold: boolean; manifestRequests: number; abandoned: number; close(): Promise<void> }> {
  const state = { host: '', hold: true, manifestRequests: 0, abandoned: 0, close: async (): Promise<void> => undefined };
  const server: Server = createServer((req, res) => {
    const manifest = /\/manifests\//.test(req.url ?? '');
    if (manifest) state.manifestRequests++;
    let answered = false;
    res.on('close', () => {
      if (manifest && !answered) state.abandoned++;
    });
    const forward = (): void => {
      if (res.destroyed) return;
      const up = httpRequest({ host: target.split(':')[0], port: Number(target.split(':')[1]), method: req.method, path: req.url, headers: { ...req.headers, host: target } }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        upRes.on('end', () => { answered = true; });
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (manifest && state.hold) setTimeout(forward, 8_000);
    else forward();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return state;
}

async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 300)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function fileUri(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, name);
}

function codeOf(d: vscode.Diagnostic): string | number | undefined {
  return typeof d.code === 'object' ? d.code.value : d.code;
}

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

async function open(name: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(fileUri(name));
  return vscode.window.showTextDocument(doc, { preview: false });
}

function hoverText(hovers: vscode.Hover[] | undefined): string {
  return (hovers ?? []).flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
}

/** Lines of the "Manifest Lens" output channel, from its log file under the user data folder. */
function outputLog(): string {
  const root = process.env.MANIFEST_LENS_IT_USER_DATA;
  if (!root || !existsSync(join(root, 'logs'))) return '';
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('Manifest Lens.log')) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(root, 'logs'));
  return out.join('\n');
}

function refs(): Refs {
  const file = process.env.MANIFEST_LENS_IT_REFS;
  assert.ok(file && existsSync(file), 'MANIFEST_LENS_IT_REFS names the sample registry references (runTest.ts starts it)');
  return JSON.parse(readFileSync(file, 'utf8')) as Refs;
}

const CHILD = 'podman-22196-child.json';
const notes: string[] = [];

const scenarios: Array<{ id: string; title: string; run: () => Promise<void> }> = [
  {
    id: 'a',
    title: `${CHILD}: ${RULE} is an error on exactly the config mediaType value`,
    run: async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, `${EXTENSION_ID} is loaded`);
      const wasActive = ext.isActive;
      const t0 = Date.now();
      await ext.activate();
      notes.push(wasActive ? 'the extension was already active when the suite started' : `activate(): ${Date.now() - t0} ms`);
      const editor = await open(CHILD);
      const uri = editor.document.uri;
      const diags = await until(`${RULE} on ${CHILD}`, () => {
        const d = ours(uri);
        return d.some((x) => codeOf(x) === RULE) ? d : undefined;
      }, 30_000);
      const d = diags.find((x) => codeOf(x) === RULE)!;
      assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
      const text = editor.document.getText();
      const at = text.indexOf(`"${DOCKER_CONFIG}"`);
      const expected = new vscode.Range(editor.document.positionAt(at), editor.document.positionAt(at + DOCKER_CONFIG.length + 2));
      assert.ok(d.range.isEqual(expected), `range ${JSON.stringify(d.range)} is the quoted value ${JSON.stringify(expected)}`);
      assert.match(d.message, /^OCI manifest with a Docker config media type: podman and buildah refuse to pull it/);
      assert.equal(diags.filter((x) => x.severity === vscode.DiagnosticSeverity.Error).length, 1, 'exactly one error');
      // The rule link goes to the extension's URI handler, which opens the rule's section of the
      // shipped docs/rules.md rendered (client/src/ruleDocs.ts), not the raw file in the preview tab.
      const target = typeof d.code === 'object' ? d.code.target : undefined;
      assert.ok(target, 'the diagnostic code links somewhere');
      assert.equal(target.scheme, vscode.env.uriScheme, `the link is handled by the extension (${target.toString()})`);
      assert.equal(target.authority.toLowerCase(), ext.id.toLowerCase());
      assert.equal(target.path, '/rule');
      assert.equal(new URLSearchParams(target.query).get('id'), RULE);
      const section = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'manifest-lens-rule', path: `/${RULE}.md` }));
      assert.ok(section.getText().startsWith(`# ${RULE}\n`), section.getText().slice(0, 80));
      assert.match(section.getText(), /\*\*Why:\*\* podman and buildah refuse to pull it/);
      assert.doesNotMatch(section.getText(), /## mixed-layer-in-oci-manifest/, 'only this rule');
    },
  },
  {
    id: 'b',
    title: 'the hover on the value explains the problem and names the OCI equivalent',
    run: async () => {
      const editor = await open(CHILD);
      const d = ours(editor.document.uri).find((x) => codeOf(x) === RULE)!;
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, d.range.start.translate(0, 1));
      const text = hoverText(hovers);
      assert.ok(text.includes(`OCI equivalent: \`${OCI_CONFIG}\``), `the hover names the OCI equivalent:\n${text}`);
      assert.ok(text.includes(RULE) || text.includes('invalid mixed OCI image with Docker v2s2 config'), `the hover names the problem:\n${text}`);
    },
  },
  {
    id: 'c',
    title: `the quick-fix "${FIX_TITLE}" fixes the text and clears the error`,
    run: async () => {
      const editor = await open(CHILD);
      const uri = editor.document.uri;
      const d = ours(uri).find((x) => codeOf(x) === RULE)!;
      // Asked as a user would (Ctrl+. on the squiggle), again until the server has the document's
      // analysis: right after activation the first request can come before it (seen once in CI).
      let titles: string[] = [];
      const fix = await until(`a "${FIX_TITLE}" quick-fix with an edit`, async () => {
        const actions = await vscode.commands.executeCommand<Array<vscode.CodeAction | vscode.Command>>('vscode.executeCodeActionProvider', uri, d.range, vscode.CodeActionKind.QuickFix.value);
        titles = (actions ?? []).map((a) => a.title);
        return (actions ?? []).find((a): a is vscode.CodeAction => a.title.startsWith(FIX_TITLE) && 'edit' in a && a.edit !== undefined);
      }, 15_000).catch((e: Error) => assert.fail(`${e.message} (got: ${titles.join(' | ')})`));
      assert.ok(fix.edit);
      assert.match(fix.title, /digest/, 'the title says the digest changes');
      assert.ok(await vscode.workspace.applyEdit(fix.edit), 'the edit applies');
      if (fix.command) await vscode.commands.executeCommand(fix.command.command, ...(fix.command.arguments ?? []));
      const line = editor.document.lineAt(d.range.start.line).text;
      assert.equal(line.trim(), `"mediaType": "${OCI_CONFIG}",`);
      await until(`${RULE} to go`, () => !ours(uri).some((x) => codeOf(x) === RULE) && ours(uri).some((x) => codeOf(x) === 'mixed-layer-in-oci-manifest'));
      await vscode.commands.executeCommand('workbench.action.files.revert');
    },
  },
  {
    id: 'd',
    title: 'not-a-manifest.json gets no Manifest Lens diagnostics',
    run: async () => {
      const plain = await open('not-a-manifest.json');
      // A sentinel opened after it: once it is linted, the server has seen not-a-manifest.json.
      const sentinel = await open('docker-v2s2-with-oci-layer.json');
      await until('the sentinel to be linted', () => ours(sentinel.document.uri).length > 0, 30_000);
      assert.deepEqual(ours(plain.document.uri).map((x) => x.message), []);
    },
  },
  {
    id: 'e',
    title: 'Inspect Remote Image: the served index, read-only, its digest CodeLens, and the mixed child it opens',
    run: async () => {
      const { index, arm64 } = refs().podman22196;
      await vscode.commands.executeCommand('manifestLens.inspectRemoteImage', index.reference);
      const editor = await until('the fetched index in the active editor', () => {
        const e = vscode.window.activeTextEditor;
        return e && e.document.uri.scheme === 'oci-image' && e.document.getText().includes(OCI_INDEX) ? e : undefined;
      }, 30_000);
      const doc = editor.document;
      // Read-only as a person meets it: typing into the editor changes nothing.
      // Control first: the same command does type into a writable editor.
      const scratch = await vscode.workspace.openTextDocument({ language: 'plaintext', content: '' });
      await vscode.window.showTextDocument(scratch, { preview: false });
      await vscode.commands.executeCommand('type', { text: 'x' });
      assert.equal(scratch.getText(), 'x', 'control: the type command types into a writable editor');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      const shown = await vscode.window.showTextDocument(doc, { preview: false });
      const before = doc.getText();
      shown.selection = new vscode.Selection(1, 0, 1, 0);
      await vscode.commands.executeCommand('type', { text: 'x' });
      assert.equal(doc.getText(), before, 'typing did not change the fetched document');
      assert.equal(doc.isDirty, false, 'the fetched document is not dirty');
      // Nor can another extension for long: an edit applied through the API is undone at once.
      const edit = new vscode.WorkspaceEdit();
      edit.insert(doc.uri, new vscode.Position(0, 0), 'tampered ');
      await vscode.workspace.applyEdit(edit);
      await until('the served text restored after a WorkspaceEdit', () => doc.getText() === before, 10_000);

      const lenses = await until('the CodeLenses', async () => {
        const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100);
        return l?.some((x) => x.command?.title.includes('verified')) ? l : undefined;
      }, 30_000);
      const titles = lenses.map((l) => l.command?.title ?? '');
      const digest = titles.find((t) => t.includes('sha256:') && t.includes('verified'));
      assert.ok(digest?.includes(index.digest.slice(0, 19)), `a digest lens for ${index.digest} (lenses: ${titles.join(' | ')})`);
      // Opened by tag: the tag can be checked for a newer digest (one HEAD; answers in a notification).
      const checkLens = lenses.find((l) => /^Check :\S+ for a newer digest$/.test(l.command?.title ?? ''));
      assert.equal(checkLens?.command?.command, 'manifestLens.checkTag', `a "Check :tag" lens (lenses: ${titles.join(' | ')})`);
      await vscode.commands.executeCommand(checkLens!.command!.command, ...(checkLens!.command!.arguments ?? []));
      await until('the tag check in the Manifest Lens output', () => /checked \S+: still sha256:[a-f0-9]{64} \(HEAD, 1 request\(s\)\)/.test(outputLog()), 15_000);
      const openLens = lenses.find((l) => /^Open linux\/arm64(\/v8)? manifest$/.test(l.command?.title ?? ''));
      assert.ok(openLens?.command, `an "Open linux/arm64 manifest" lens (lenses: ${titles.join(' | ')})`);
      await vscode.commands.executeCommand(openLens.command.command, ...(openLens.command.arguments ?? []));
      const child = await until('the arm64 child in the active editor', () => {
        const e = vscode.window.activeTextEditor;
        // The path (the tab's title) has a short digest; the query the whole one (`manifest~sha256~<hex>`).
        return e && e.document.uri.scheme === 'oci-image' && e.document.uri.query.includes(arm64.digest.replace(':', '~')) ? e : undefined;
      }, 30_000);
      await until(`${RULE} on the fetched child`, () => ours(child.document.uri).some((x) => codeOf(x) === RULE && x.severity === vscode.DiagnosticSeverity.Error), 30_000);
    },
  },
  {
    id: 'f',
    title: 'Inspect Remote Image on an unreachable registry fails with "connection refused" and opens nothing',
    run: async () => {
      const before = vscode.window.activeTextEditor?.document.uri.toString();
      await vscode.commands.executeCommand('manifestLens.inspectRemoteImage', '127.0.0.1:1/x/y:z');
      assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), before, 'no document opened');
      assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.scheme === 'oci-image' && /\/x\/y[:@/]/.test(d.uri.path)), 'no document for x/y');
      // The notification itself is not visible through the API (test/e2e reads it from the
      // screen); the request and its outcome are in the "Manifest Lens" output.
      if (process.env.MANIFEST_LENS_IT_USER_DATA) {
        const line = await until('the refused request in the Manifest Lens output', () => outputLog().split('\n').find((l) => l.includes('127.0.0.1:1/') && /connection-refused/.test(l)));
        notes.push(`output: ${line.trim()}`);
      }
    },
  },
];

scenarios.push({
  id: 's',
  title: 'explorer: collapsing a tag while it loads cancels its request to the registry; expanding it again loads it',
  run: async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    const hooks = (await ext.activate()) as TestHooks | undefined;
    assert.ok(hooks?.explorer, 'activate() returns the test hooks (MANIFEST_LENS_TEST_HOOKS=1)');
    const explorer = hooks.explorer;
    const slow = await slowRegistry(refs().host);
    try {
      const tag: Item = { type: 'tag', registry: slow.host, repository: 'samples/podman-22196', tag: 'mixed' };
      const changed: unknown[] = [];
      const sub = explorer.onDidChangeTreeData((e) => changed.push(e));
      const loading = explorer.getChildren(tag);
      await until('the tag\'s manifest request at the registry', () => slow.manifestRequests > 0, 20_000);
      const t0 = Date.now();
      explorer.collapsed(tag);
      const first = await loading;
      const waited = Date.now() - t0;
      assert.deepEqual(first, [], 'a collapsed expansion answers nothing');
      assert.ok(waited < 4_000, `it answered at once (${waited} ms), not when the held response came (8 s)`);
      await until('the registry to see the request given up', () => slow.abandoned > 0, 10_000);
      await until('the node marked changed, so that VS Code asks again at the next expansion', () => changed.includes(tag), 5_000);
      sub.dispose();
      slow.hold = false;
      const again = await explorer.getChildren(tag);
      assert.ok(again.some((i) => i.type === 'node'), `expanding again loads the index's entries: ${JSON.stringify(again.map((i) => i.type))}`);
      notes.push(`explorer collapse: answered in ${waited} ms; ${slow.abandoned} manifest request(s) given up at the registry`);
    } finally {
      await slow.close();
    }
  },
});

/** Called by VS Code's test runner (extensionTestsPath). Rejects when a scenario failed. */
export async function run(): Promise<void> {
  const results: Array<{ id: string; title: string; ok: boolean; ms: number; error?: string }> = [];
  for (const s of scenarios) {
    const t0 = Date.now();
    try {
      await Promise.race([
        s.run(),
        new Promise((_, rej) => setTimeout(() => rej(new Error('scenario timed out after 90 s')), 90_000).unref()),
      ]);
      results.push({ id: s.id, title: s.title, ok: true, ms: Date.now() - t0 });
      console.log(`  pass (${s.id}) ${s.title} (${Date.now() - t0} ms)`);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      results.push({ id: s.id, title: s.title, ok: false, ms: Date.now() - t0, error });
      console.log(`  FAIL (${s.id}) ${s.title}\n       ${error.replace(/\n/g, '\n       ')}`);
    }
  }
  for (const n of notes) console.log(`  note: ${n}`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`test:vscode: ${results.length - failed} passed, ${failed} failed`);
  if (process.env.MANIFEST_LENS_IT_RESULTS) writeFileSync(process.env.MANIFEST_LENS_IT_RESULTS, JSON.stringify({ results, notes }, null, 2));
  if (failed) throw new Error(`${failed} of ${results.length} scenarios failed`);
}
