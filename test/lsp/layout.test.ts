/**
 * OCI image layouts in the editor, over dist/server.js --stdio: layouts written by skopeo from
 * the seeded docker-registry, clean and with injected faults. A clean layout gives no warning
 * and no error; a deleted blob, a changed blob and a truncated layer each give a diagnostic on
 * the descriptor that points at the blob, naming it — in open documents, and published for the
 * layout's documents that are not open. Digests link to their blob files (document links and go
 * to definition); the hover says what the blob is, its size on disk and whether it was verified.
 * A synthetic layout with large layers shows work-done progress, and cancelling it leaves them
 * unverified.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, DocumentLink, Hover, Location, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { blobFile, changeBlob, copyLayout, deleteBlob, imageOf, readJson, truncateBlob, writeSkopeoLayouts, type Descriptor, type SkopeoLayouts } from '../harness/layouts';
import { useSeededRegistry } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';
import { SERVER } from './lspClient';

/** A test client that also speaks work-done progress (the shared one does not declare it). */
interface Client {
  readonly connection: MessageConnection;
  /** The diagnostics last published for a URI, waiting until `accept` holds (10 s at most). */
  diagnostics(uri: string, accept?: (d: Diagnostic[]) => boolean): Promise<Diagnostic[]>;
  open(file: string): string;
  readonly progress: { token: string | number; value: { kind: string; message?: string; percentage?: number; cancellable?: boolean } }[];
  /** Answers workspace/configuration with these `manifestLens` settings from now on, and says they changed. */
  configure(settings: object): void;
  stop(): Promise<void>;
}

async function startClient(): Promise<Client> {
  const child: ChildProcess = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const latest = new Map<string, Diagnostic[]>();
  const waiters: (() => void)[] = [];
  const progress: Client['progress'] = [];
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    latest.set(p.uri, p.diagnostics);
    for (const w of waiters.splice(0)) w();
  });
  connection.onNotification('$/progress', (p: Client['progress'][number]) => { progress.push(p); for (const w of waiters.splice(0)) w(); });
  connection.onRequest('window/workDoneProgress/create', () => null);
  let settings: object = {};
  connection.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => settings));
  connection.onRequest('client/registerCapability', () => null);
  connection.onNotification('window/logMessage', () => undefined);
  connection.onError(() => undefined);
  connection.listen();
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true }, textDocument: { publishDiagnostics: { versionSupport: true } } },
    initializationOptions: { trusted: false },
  });
  await connection.sendNotification('initialized', {});
  return {
    connection,
    progress,
    configure(next) {
      settings = next;
      void connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    },
    diagnostics(uri, accept = () => true) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no acceptable diagnostics for ${uri} within 10 s; last: ${JSON.stringify(latest.get(uri)?.map((d) => d.code))}`)), 10_000);
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

function rangeText(file: string, r: Diagnostic['range']): string {
  const text = readFileSync(file, 'utf8');
  const doc = TextDocument.create('x:', 'json', 1, text);
  return text.slice(doc.offsetAt(r.start), doc.offsetAt(r.end));
}

/** Where `needle` is in a file, as an LSP position just inside it. */
function positionOf(file: string, needle: string): { line: number; character: number } {
  const text = readFileSync(file, 'utf8');
  const doc = TextDocument.create('x:', 'json', 1, text);
  return doc.positionAt(text.indexOf(needle) + 5);
}

const serious = (d: Diagnostic[]): Diagnostic[] => d.filter((x) => x.severity === 1 || x.severity === 2);
const has = (code: string) => (d: Diagnostic[]): boolean => d.some((x) => x.code === code);

const skip = skipUnlessTools({ registry: true, skopeo: true });

if (skip) {
  test('layouts in the editor', { skip }, () => {});
} else {
  describe('OCI image layouts written by skopeo, in the language server', () => {
    const ctx = useSeededRegistry({ cli: true });
    let layouts: SkopeoLayouts;
    let client: Client;
    before(async () => {
      layouts = await writeSkopeoLayouts(ctx.home, ctx.seeds);
      client = await startClient();
    });
    after(async () => {
      await client?.stop();
      layouts?.cleanup();
    });

    test('a clean --all layout: index.json, the nested index, a manifest and a config blob get no warning and no error', async () => {
      const dir = layouts.multi;
      const top = readJson<{ manifests: Descriptor[] }>(join(dir, 'index.json')).manifests[0];
      const child = readJson<{ manifests: Descriptor[] }>(blobFile(dir, top.digest)).manifests[0];
      const config = readJson<{ config: Descriptor }>(blobFile(dir, child.digest)).config;
      for (const file of [join(dir, 'index.json'), blobFile(dir, top.digest), blobFile(dir, child.digest), blobFile(dir, config.digest)]) {
        const uri = client.open(file);
        const d = await client.diagnostics(uri);
        assert.deepEqual(serious(d).map((x) => `${x.code} ${x.message}`), [], file);
      }
    });

    test('a deleted config blob: layout-blob-missing on the config digest of the manifest blob — published before the manifest is even opened', async () => {
      const dir = copyLayout(layouts.single, 'lsp-deleted');
      const { manifest, config } = imageOf(dir);
      deleteBlob(dir, config.digest);
      const manifestFile = blobFile(dir, manifest.digest);
      client.open(join(dir, 'index.json'));
      // The layout is linted as a whole: the manifest blob's diagnostics arrive without opening it.
      const closed = await client.diagnostics(pathToFileURL(manifestFile).href, has('layout-blob-missing'));
      const d = closed.find((x) => x.code === 'layout-blob-missing')!;
      assert.equal(d.severity, 1);
      assert.equal(rangeText(manifestFile, d.range), `"${config.digest}"`);
      assert.ok(d.message.includes(config.digest), d.message);
      // Documented like the rules: the link opens docs/rules.md at the check's own heading.
      const link = /^(file:\/\/.+\/docs\/rules\.md)#L(\d+)$/.exec(d.codeDescription!.href);
      assert.ok(link, d.codeDescription!.href);
      assert.equal(readFileSync(new URL(link[1]), 'utf8').split('\n')[Number(link[2]) - 1], '## layout-blob-missing');
      const opened = await client.diagnostics(client.open(manifestFile), has('layout-blob-missing'));
      assert.deepEqual(opened.find((x) => x.code === 'layout-blob-missing')!.range, d.range);
    });

    test('manifestLens.rules sets a layout check\'s severity or turns it off, like a rule of the table', async () => {
      const dir = copyLayout(layouts.single, 'lsp-setting');
      const { manifest, config } = imageOf(dir);
      deleteBlob(dir, config.digest);
      const uri = client.open(blobFile(dir, manifest.digest));
      const missing = (d: Diagnostic[]): Diagnostic | undefined => d.find((x) => x.code === 'layout-blob-missing');
      try {
        assert.equal(missing(await client.diagnostics(uri, has('layout-blob-missing')))!.severity, 1);
        client.configure({ rules: { 'layout-blob-missing': 'warning' } });
        await client.diagnostics(uri, (d) => missing(d)?.severity === 2);
        client.configure({ rules: { 'layout-blob-missing': 'off' } });
        const off = await client.diagnostics(uri, (d) => !has('layout-blob-missing')(d));
        assert.ok(!off.some((x) => x.code === 'layout-blob-missing'));
      } finally {
        client.configure({});
      }
    });

    test('a changed manifest blob: layout-blob-digest-mismatch on its index.json entry', async () => {
      const dir = copyLayout(layouts.single, 'lsp-changed');
      const { manifest } = imageOf(dir);
      changeBlob(dir, manifest.digest);
      const file = join(dir, 'index.json');
      const d = (await client.diagnostics(client.open(file), has('layout-blob-digest-mismatch'))).find((x) => x.code === 'layout-blob-digest-mismatch')!;
      assert.equal(d.severity, 1);
      assert.equal(rangeText(file, d.range), `"${manifest.digest}"`);
      assert.match(d.message, /hashes to sha256:[0-9a-f]{64}/);
    });

    test('a truncated layer: digest mismatch on its digest and size mismatch on its size, in the manifest blob', async () => {
      const dir = copyLayout(layouts.single, 'lsp-truncated');
      const { manifest, layers } = imageOf(dir);
      truncateBlob(dir, layers[0].digest, 32);
      const file = blobFile(dir, manifest.digest);
      const d = await client.diagnostics(client.open(file), (x) => has('layout-blob-size-mismatch')(x) && has('layout-blob-digest-mismatch')(x));
      assert.equal(rangeText(file, d.find((x) => x.code === 'layout-blob-digest-mismatch')!.range), `"${layers[0].digest}"`);
      assert.equal(rangeText(file, d.find((x) => x.code === 'layout-blob-size-mismatch')!.range), String(layers[0].size));
    });

    test('digests are links to their blob files, go to definition opens the blob, the hover says what it is', async () => {
      const dir = layouts.single;
      const { manifest, config, layers } = imageOf(dir);
      const manifestFile = blobFile(dir, manifest.digest);
      const uri = client.open(manifestFile);
      await client.diagnostics(uri);
      const links: DocumentLink[] = await client.connection.sendRequest('textDocument/documentLink', { textDocument: { uri } });
      const targets = links.map((l) => [rangeText(manifestFile, l.range), l.target]);
      assert.deepEqual(targets, [
        [config.digest, pathToFileURL(blobFile(dir, config.digest)).href],
        [layers[0].digest, pathToFileURL(blobFile(dir, layers[0].digest)).href],
      ]);
      const position = positionOf(manifestFile, config.digest);
      const def: Location | null = await client.connection.sendRequest('textDocument/definition', { textDocument: { uri }, position });
      assert.equal(def?.uri, pathToFileURL(blobFile(dir, config.digest)).href);
      const hover: Hover = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position });
      const value = (hover.contents as { value: string }).value;
      assert.match(value, /Blob in this image layout/);
      assert.match(value, /What it is: Image config/);
      assert.match(value, new RegExp(`Size on disk: ${config.size} bytes`));
      assert.match(value, /Hash: verified/);
      const layerHover: Hover = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: positionOf(manifestFile, layers[0].digest) });
      assert.match((layerHover.contents as { value: string }).value, /What it is: gzip data \(a layer\)/);
    });
  });
}

describe('large blobs: work-done progress, and cancel', () => {
  let dir: string;
  let client: Client;
  const layers: { digest: string; size: number }[] = [];
  before(async () => {
    // A hand-made layout (no tool writes 100 MiB of random layers quickly): 20 layers of 5 MiB,
    // gzip magic then random bytes; the last one is named by a digest its bytes do not have.
    dir = mkdtempSync(join(tmpdir(), 'manifest-lens-biglayout-'));
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    for (let i = 0; i < 20; i++) {
      const bytes = Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(5 * 1024 * 1024)]);
      const digest = i === 19 ? 'sha256:' + 'e'.repeat(64) : 'sha256:' + createHash('sha256').update(bytes).digest('hex');
      writeFileSync(blobFile(dir, digest), bytes);
      layers.push({ digest, size: bytes.length });
    }
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((_, i) => 'sha256:' + createHash('sha256').update(String(i)).digest('hex')) } }));
    const configDigest = 'sha256:' + createHash('sha256').update(config).digest('hex');
    writeFileSync(blobFile(dir, configDigest), config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
    }, null, 2));
    const manifestDigest = 'sha256:' + createHash('sha256').update(manifest).digest('hex');
    writeFileSync(blobFile(dir, manifestDigest), manifest);
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length }] }));
    client = await startClient();
  });
  after(async () => {
    await client?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('hashing 100 MiB of layers shows cancellable progress; the bad layer is reported once hashed', async () => {
    const manifestFile = blobFile(dir, readJson<{ manifests: Descriptor[] }>(join(dir, 'index.json')).manifests[0].digest);
    const d = await client.diagnostics(client.open(manifestFile), has('layout-blob-digest-mismatch'));
    const bad = d.filter((x) => x.code === 'layout-blob-digest-mismatch');
    assert.equal(bad.length, 1, 'only the misnamed layer');
    assert.equal(rangeText(manifestFile, bad[0].range), `"${layers[19].digest}"`);
    const kinds = client.progress.map((p) => p.value.kind);
    assert.equal(kinds[0], 'begin');
    assert.equal(client.progress[0].value.cancellable, true);
    assert.match(client.progress[0].value.message ?? '', /20 blobs/);
    assert.ok(kinds.includes('report'), kinds.join(','));
    assert.equal(kinds[kinds.length - 1], 'end');
  });

  test('cancelling the progress stops the hashing: the layers stay "not verified yet" and nothing false is reported', async () => {
    // A fresh server (empty cache) and a copy of the layout under a new path.
    await client.stop();
    client = await startClient();
    const copy = copyLayout(dir, 'cancelled');
    const manifestFile = blobFile(copy, readJson<{ manifests: Descriptor[] }>(join(copy, 'index.json')).manifests[0].digest);
    const uri = client.open(manifestFile);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no progress begin within 10 s')), 10_000);
      const poll = setInterval(() => {
        const begin = client.progress.find((p) => p.value.kind === 'begin');
        if (!begin) return;
        clearInterval(poll);
        clearTimeout(timer);
        void client.connection.sendNotification('window/workDoneProgress/cancel', { token: begin.token });
        resolve();
      }, 5);
    });
    const d = await client.diagnostics(uri);
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(client.progress.some((p) => p.value.kind === 'end'), 'the progress ended');
    const hover: Hover = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: positionOf(manifestFile, layers[19].digest) });
    const value = (hover.contents as { value: string }).value;
    assert.match(value, /Hash: not verified yet/);
    assert.ok(!d.some((x) => x.code === 'layout-blob-digest-mismatch'), 'the unhashed bad layer is not reported');
  });
});
