/**
 * OCI image layouts that change on disk, and large ones, over dist/server.js --stdio, on layouts
 * made by the test (no registry or tool needed):
 * - the server asks the client to watch each layout it meets (workspace/didChangeWatchedFiles,
 *   a relative pattern on the layout's folder); a layer truncated on disk and reported by the
 *   watcher gives its manifest's findings, opened or not, without reopening anything, and
 *   restoring it clears them;
 * - a blob edited in place with the same size and mtime is hashed again (its ctime moved);
 * - a layout of 100,000 index entries publishes at most maxProblems diagnostics per document
 *   and one saying how many were left out, and a hover sent while it is walked is answered
 *   before the walk ends (the order of the answers, not a timer).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, Hover, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { SERVER } from './lspClient';

interface Registration { id: string; method: string; registerOptions?: { watchers?: { globPattern: string | { baseUri: string; pattern: string } }[] } }

interface Client {
  readonly connection: MessageConnection;
  /** What arrived, in order: `diag <uri>` and `hover`. */
  readonly events: string[];
  readonly registrations: Registration[];
  /** The diagnostics last published for a URI, once `accept` holds (10 s at most). */
  diagnostics(uri: string, accept?: (d: Diagnostic[]) => boolean, timeoutMs?: number): Promise<Diagnostic[]>;
  open(file: string): string;
  changed(...files: string[]): void;
  stop(): Promise<void>;
}

/** `watch`: declare didChangeWatchedFiles with dynamic registration and relative patterns, as VS Code does. */
async function startClient(watch: boolean): Promise<Client> {
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const latest = new Map<string, Diagnostic[]>();
  const waiters: (() => void)[] = [];
  const events: string[] = [];
  const registrations: Registration[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    events.push(`diag ${p.uri}`);
    latest.set(p.uri, p.diagnostics);
    for (const w of waiters.splice(0)) w();
  });
  connection.onRequest('client/registerCapability', (p: { registrations: Registration[] }) => { registrations.push(...p.registrations); for (const w of waiters.splice(0)) w(); return null; });
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onNotification('window/logMessage', () => undefined);
  connection.onError(() => undefined);
  connection.listen();
  // No workspace/configuration: the defaults (maxProblems 1000), and a lint that starts on didOpen itself.
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: { workspace: watch ? { didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true } } : {}, textDocument: { publishDiagnostics: {} } },
    initializationOptions: { trusted: false },
  });
  await connection.sendNotification('initialized', {});
  return {
    connection,
    events,
    registrations,
    diagnostics(uri, accept = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no acceptable diagnostics for ${uri} within ${timeoutMs / 1000} s; last: ${JSON.stringify(latest.get(uri)?.map((d) => d.code))}`)), timeoutMs);
        const check = (): void => {
          const d = latest.get(uri);
          if (d && accept(d)) { clearTimeout(timer); resolve(d); } else waiters.push(check);
        };
        check();
      });
    },
    open(file) {
      const uri = pathToFileURL(file).href;
      void connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'json', version: 1, text: readFileSync(file, 'utf8') } });
      return uri;
    },
    changed(...files) {
      void connection.sendNotification('workspace/didChangeWatchedFiles', { changes: files.map((f) => ({ uri: pathToFileURL(f).href, type: 2 })) });
    },
    async stop() {
      try {
        await Promise.race([connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        await connection.sendNotification('exit').catch(() => undefined);
      } catch { /* gone */ }
      connection.dispose();
      if (child.exitCode === null) child.kill();
    },
  };
}

const sha256 = (b: Uint8Array): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

interface Made {
  dir: string;
  manifestFile: string;
  manifestDigest: string;
  config: { digest: string; file: string; bytes: Buffer };
  layer: { digest: string; file: string; bytes: Buffer };
}

/** A layout of one image: a config, one 64 KiB "gzip" layer, a manifest; `entries` index.json entries naming the manifest (with `size` off by `sizeOff`). */
function makeLayout(name: string, entries = 1, sizeOff = 0): Made {
  const dir = mkdtempSync(join(tmpdir(), `manifest-lens-${name}-`));
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (bytes: Buffer): { digest: string; file: string; bytes: Buffer } => {
    const digest = sha256(bytes);
    const file = join(dir, 'blobs', 'sha256', digest.slice(7));
    writeFileSync(file, bytes);
    return { digest, file, bytes };
  };
  const layer = put(Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(64 * 1024)]));
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(Buffer.from('x'))] } })));
  const manifest = put(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.bytes.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.bytes.length }],
  }, null, 2)));
  const entry = `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${manifest.digest}","size":${manifest.bytes.length + sizeOff}}`;
  writeFileSync(join(dir, 'index.json'), `{"schemaVersion":2,"manifests":[${new Array<string>(entries).fill(entry).join(',\n')}]}`);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return { dir, manifestFile: manifest.file, manifestDigest: manifest.digest, config, layer };
}

function rangeText(file: string, r: Diagnostic['range']): string {
  const text = readFileSync(file, 'utf8');
  const doc = TextDocument.create('x:', 'json', 1, text);
  return text.slice(doc.offsetAt(r.start), doc.offsetAt(r.end));
}

const layoutCodes = (d: Diagnostic[]): string[] => d.filter((x) => String(x.code).startsWith('layout-')).map((x) => String(x.code)).sort();

describe('a layout that changes on disk', () => {
  const dirs: string[] = [];
  const clients: Client[] = [];
  after(async () => {
    for (const c of clients) await c.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('the server watches the layout; a truncated layer shows on its manifest (closed, then open) without reopening, and clears when restored', async () => {
    const client = await startClient(true);
    clients.push(client);
    const m = makeLayout('watch');
    dirs.push(m.dir);
    const manifestUri = pathToFileURL(m.manifestFile).href;
    client.open(join(m.dir, 'index.json'));
    // Clean at first: the manifest, not open, is published with no layout finding.
    assert.deepEqual(layoutCodes(await client.diagnostics(manifestUri)), []);
    const watchers = client.registrations.filter((r) => r.method === 'workspace/didChangeWatchedFiles').flatMap((r) => r.registerOptions?.watchers ?? []);
    assert.ok(watchers.some((w) => typeof w.globPattern === 'object' && w.globPattern.baseUri === pathToFileURL(m.dir).href && w.globPattern.pattern.startsWith('blobs/')), JSON.stringify(watchers));

    writeFileSync(m.layer.file, m.layer.bytes.subarray(0, 32));
    client.changed(m.layer.file);
    const broken = await client.diagnostics(manifestUri, (d) => layoutCodes(d).includes('layout-blob-digest-mismatch'));
    assert.deepEqual(layoutCodes(broken), ['layout-blob-digest-mismatch', 'layout-blob-size-mismatch']);
    assert.equal(rangeText(m.manifestFile, broken.find((x) => x.code === 'layout-blob-digest-mismatch')!.range), `"${m.layer.digest}"`);

    writeFileSync(m.layer.file, m.layer.bytes);
    client.changed(m.layer.file);
    assert.deepEqual(layoutCodes(await client.diagnostics(manifestUri, (d) => layoutCodes(d).length === 0)), []);

    // The same with the manifest open: its own lint follows the file on disk.
    client.open(m.manifestFile);
    await client.diagnostics(manifestUri, (d) => layoutCodes(d).length === 0);
    rmSync(m.config.file);
    client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(m.config.file).href, type: 3 }] });
    const missing = await client.diagnostics(manifestUri, (d) => layoutCodes(d).includes('layout-blob-missing'));
    assert.equal(rangeText(m.manifestFile, missing.find((x) => x.code === 'layout-blob-missing')!.range), `"${m.config.digest}"`);
    writeFileSync(m.config.file, m.config.bytes);
    client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(m.config.file).href, type: 1 }] });
    assert.deepEqual(layoutCodes(await client.diagnostics(manifestUri, (d) => layoutCodes(d).length === 0)), []);
  });

  test('a blob edited in place with the same size and mtime is hashed again', async () => {
    const client = await startClient(true);
    clients.push(client);
    const m = makeLayout('sametime');
    dirs.push(m.dir);
    // A whole-second mtime, which utimes can put back exactly.
    utimesSync(m.config.file, 1_700_000_000, 1_700_000_000);
    const uri = client.open(m.manifestFile);
    assert.deepEqual(layoutCodes(await client.diagnostics(uri)), []);
    const before = statSync(m.config.file);
    // One character changed, the length kept, the mtime put back: size and mtime say nothing moved.
    const edited = Buffer.from(m.config.bytes.toString('latin1').replace('amd64', 'arm64'), 'latin1');
    assert.equal(edited.length, m.config.bytes.length);
    await new Promise((r) => setTimeout(r, 20)); // the ctime moves on a coarse clock
    writeFileSync(m.config.file, edited);
    utimesSync(m.config.file, 1_700_000_000, 1_700_000_000);
    assert.equal(statSync(m.config.file).mtimeMs, before.mtimeMs);
    client.changed(m.config.file);
    // Before the fix a lint (here, of a no-op edit) kept "verified" from the size-and-mtime cache.
    void client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: readFileSync(m.manifestFile, 'utf8') }] });
    const d = await client.diagnostics(uri, (x) => layoutCodes(x).includes('layout-blob-digest-mismatch'));
    assert.equal(rangeText(m.manifestFile, d.find((x) => x.code === 'layout-blob-digest-mismatch')!.range), `"${m.config.digest}"`);
    // The hover says when the hash was checked.
    const text = readFileSync(m.manifestFile, 'utf8');
    const at = TextDocument.create('x:', 'json', 1, text).positionAt(text.indexOf(m.config.digest) + 5);
    const hover: Hover = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: at });
    assert.match((hover.contents as { value: string }).value, /does not match.*\(checked at \d\d:\d\d:\d\d UTC\)/);
  });
});

describe('a layout of 100,000 index entries', () => {
  let client: Client | undefined;
  let dir: string | undefined;
  after(async () => {
    await client?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('at most maxProblems diagnostics and a "left out" notice per document; a hover sent during the walk is answered before it ends', async () => {
    // Every entry names the one manifest with a wrong size: 100,000 layout findings on index.json.
    const m = makeLayout('many', 100_000, 1);
    dir = m.dir;
    client = await startClient(false);
    const manifestUri = client.open(m.manifestFile);
    const text = readFileSync(m.manifestFile, 'utf8');
    const position = TextDocument.create('x:', 'json', 1, text).positionAt(text.indexOf(m.config.digest) + 5);
    const hover: Hover = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: manifestUri }, position });
    client.events.push('hover');
    assert.match((hover.contents as { value: string }).value, /Hash: verified/);
    const indexUri = pathToFileURL(join(m.dir, 'index.json')).href;
    // A wait, not a measure: the walk of 13 MB takes a few seconds, more on a busy machine.
    const index = await client.diagnostics(indexUri, undefined, 30_000);
    await client.diagnostics(manifestUri, undefined, 30_000);
    // The manifest's lint waits for the walk: the hover came first.
    assert.ok(client.events.indexOf('hover') < client.events.indexOf(`diag ${manifestUri}`), client.events.join(', '));
    assert.ok(index.length <= 1001, `${index.length} diagnostics`);
    // The most severe are kept: errors only (the size mismatches, and the walk's own limit when it says so).
    assert.equal(index.filter((x) => x.severity === 1).length, 1000);
    assert.ok(index.filter((x) => x.code === 'layout-blob-size-mismatch').length >= 999);
    const notice = index[index.length - 1];
    assert.equal(notice.code, 'too-many-problems');
    const left = Number(/^(\d+) more problems not shown/.exec(notice.message)?.[1]);
    assert.ok(left >= 49_000, notice.message);
  });
});
