/**
 * The trust settings change while a fetched manifest's signatures are being read: the report
 * made with the old trust must not be kept for the lenses and the hover (a key removed from
 * manifestLens.trust.keys left "signature valid" on the lens).
 */
import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RemoteDocument, SupplyChainReport } from '../../common/protocol';
import { isolatedEnv, type IsolatedEnv } from '../harness/cli';
import { startFakeRegistry, type FakeRegistry } from '../harness/fakeRegistry';
import { cosignSign, cosignSignatureManifest, makeKey, simpleSigningPayload } from '../supplychain/fixtures';
import { startServer, type TestServer } from './lspClient';

const REPO = 'sc/reset';

let reg: FakeRegistry;
let home: IsolatedEnv;
let s: TestServer;
let digest = '';
let keyFile = '';
const settings: Record<string, unknown> = {};

before(async () => {
  home = isolatedEnv();
  reg = await startFakeRegistry();
  const key = makeKey('p256');
  keyFile = join(home.dir, 'cosign.pub');
  writeFileSync(keyFile, key.publicPem);
  const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const image = reg.putManifest(REPO, 'img', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: reg.putBlob(config), size: config.length }, layers: [] });
  digest = image.digest;
  const payload = simpleSigningPayload(`${reg.host}/${REPO}`, digest);
  const sig = cosignSignatureManifest([{ payload, signature: cosignSign(key.privateKey, payload) }]);
  for (const b of sig.blobs) reg.putBlob(b);
  reg.putManifest(REPO, `sha256-${digest.slice(7)}.sig`, sig.manifest.bytes);
  Object.assign(settings, { registry: { insecureHosts: [reg.host] }, trust: { keys: [keyFile] } });
  s = await startServer(settings, { env: home.env });
  await s.connection.sendNotification('manifestLens/environment', { trusted: true });
});
after(async () => {
  await s?.stop();
  await reg?.close();
  home?.cleanup();
});

describe('the key is removed while the signature is being read', () => {
  it('the lens then says "no trust configured", not the old "signature valid"', async () => {
    // The `.sig` manifest is held until the settings changed.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let asked!: () => void;
    const sigAsked = new Promise<void>((r) => (asked = r));
    reg.hook = (req, res) => {
      if (!/\.sig$/.test(req.url ?? '')) return false;
      asked();
      void held.then(() => { reg.hook = undefined; const d = reg.manifests.get(`${REPO}@sha256-${digest.slice(7)}.sig`)!; res.writeHead(200, { 'Content-Type': d.mediaType, 'Content-Length': d.bytes.length }).end(req.method === 'HEAD' ? undefined : d.bytes); });
      return true;
    };
    const first: Promise<SupplyChainReport> = s.connection.sendRequest('manifestLens/explorer/supplyChain', { registry: reg.host, repository: REPO, digest });
    await sigAsked;
    // The key is removed: the server reads the settings again.
    delete settings.trust;
    const reread = new Promise<void>((r) => s.connection.onRequest('workspace/configuration', (p: { items: unknown[] }) => { r(); return p.items.map(() => settings); }));
    await s.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await reread;
    release();
    // The explorer's answer in flight is made again with the trust of now.
    const answered = await first;
    assert.equal(answered.items[0]?.verdict?.kind, 'not-verified', JSON.stringify(answered.items[0]?.verdict));
    assert.match(answered.trust, /no trust configured/);
    const lens = await signatureLens();
    assert.doesNotMatch(lens, /valid/);
    assert.match(lens, /not verified: no trust configured/);
  });
});

let docUri = '';
/** The signature's lens of the fetched tag, once read. */
async function signatureLens(): Promise<string> {
  if (!docUri) {
    const doc: RemoteDocument = await s.connection.sendRequest('manifestLens/inspect', { reference: `${reg.host}/${REPO}:img` });
    s.open(doc.uri, doc.text);
    await s.diagnostics(doc.uri);
    docUri = doc.uri;
  }
  let titles: string[] = [];
  for (let i = 0; i < 100; i++) {
    const lenses: { command?: { title: string } }[] = await s.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: docUri } });
    titles = lenses.map((l) => l.command?.title ?? '');
    if (!titles.some((t) => /reading…/.test(t))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const lens = titles.find((t) => t.includes('cosign signature'));
  assert.ok(lens, titles.join(' | '));
  return lens;
}

describe('the key file is replaced on disk (the setting unchanged)', () => {
  it('the lens is made again with the new key: no longer "signature valid"', async () => {
    settings.trust = { keys: [keyFile] };
    const reread = new Promise<void>((r) => s.connection.onRequest('workspace/configuration', (p: { items: unknown[] }) => { r(); return p.items.map(() => settings); }));
    await s.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await reread;
    assert.match(await signatureLens(), /signature valid/);
    writeFileSync(keyFile, makeKey('p256').publicPem);
    const later = new Date(Date.now() + 60_000);
    utimesSync(keyFile, later, later);
    assert.doesNotMatch(await signatureLens(), /signature valid/);
  });
});
