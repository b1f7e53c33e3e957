/**
 * Signatures and attestations in the editor, over LSP (dist/server.js), against a real
 * docker-registry 2.8 on 127.0.0.1 (the fallback tag, no Referrers API) holding a signed and
 * attested multi-platform image (test/supplychain/fixtures.ts): the explorer's rows
 * (manifestLens/explorer/supplyChain) and the lenses and top hover of a fetched manifest carry
 * each item's kind and verdict — "signature valid, no transparency-log proof" with
 * manifestLens.trust.keys in a trusted workspace, "not verified: no trust configured" without it,
 * and the key file not read in an untrusted one. An item's URI opens its decoded payload.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { supplyChainRow } from '../../common/explorerRows';
import type { RemoteDocument, SupplyChainReport } from '../../common/protocol';
import { isolatedEnv, type IsolatedEnv } from '../harness/cli';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { makeKey, pushArtifact, pushImage, pushManifest, pushSignedMultiPlatform, referrersIndex, statement, type SignedMultiPlatform } from '../supplychain/fixtures';
import { startServer, type TestServer } from './lspClient';
import { remoteUri } from '../../server/src/lsp/remoteUri';

const REPO = 'sc/editor';

let registry: RunningRegistry;
let home: IsolatedEnv;
let image: SignedMultiPlatform;
let keyFile = '';
/** An index whose BuildKit statement names a hostile builder: a terminal escape, a bidi override, a `$(icon)`. */
let hostile = { amd64: '' };
let bombDigest = '';
const HOSTILE_BUILDER = '$(alert)\u001b]0;x\u0007\u202eexe.gnp';
const HOSTILE_TYPE = 'https://x.example/\r\r[click me](https://evil.example/)\u202e`';

before(async () => {
  home = isolatedEnv();
  registry = await startRegistry({ auth: 'none' });
  const key = makeKey('p256');
  keyFile = join(home.dir, 'cosign.pub');
  writeFileSync(keyFile, key.publicPem);
  image = await pushSignedMultiPlatform(registry.url, registry.host, REPO, 'signed', key.privateKey);
  // A bare in-toto statement as an OCI 1.1 referrer of an image (through the fallback tag).
  const amd64 = await pushImage(registry.url, REPO, 'hostile', 'hostile');
  const st = statement('https://slsa.dev/provenance/v0.2', amd64.digest, { builder: { id: HOSTILE_BUILDER } });
  const empty = Buffer.from('{}');
  const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
  const artifact = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.in-toto+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha(empty), size: 2 },
    layers: [{ mediaType: 'application/vnd.in-toto+json', digest: sha(st), size: st.length, annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' } }],
    subject: { mediaType: amd64.mediaType, digest: amd64.digest, size: amd64.bytes.length },
  }));
  const doc = { bytes: artifact, digest: sha(artifact), mediaType: 'application/vnd.oci.image.manifest.v1+json' };
  await pushArtifact(registry.url, REPO, undefined, { manifest: doc, blobs: [empty, st] });
  await pushManifest(registry.url, REPO, `sha256-${amd64.digest.slice(7)}`, referrersIndex([{ manifest: doc, artifactType: 'application/vnd.in-toto+json' }]));
  hostile = { amd64: amd64.digest };
  // A predicate type that ends the hover's paragraph (two lone carriage returns) and starts a link, with a bidi override.
  const other = await pushImage(registry.url, REPO, 'hostile-type', 'hostile-type');
  const st2 = statement(HOSTILE_TYPE, other.digest, {});
  const artifact2 = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.in-toto+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha(empty), size: 2 },
    layers: [{ mediaType: 'application/vnd.in-toto+json', digest: sha(st2), size: st2.length }],
    subject: { mediaType: other.mediaType, digest: other.digest, size: other.bytes.length },
  }));
  const doc2 = { bytes: artifact2, digest: sha(artifact2), mediaType: 'application/vnd.oci.image.manifest.v1+json' };
  await pushArtifact(registry.url, REPO, undefined, { manifest: doc2, blobs: [empty, st2] });
  await pushManifest(registry.url, REPO, `sha256-${other.digest.slice(7)}`, referrersIndex([{ manifest: doc2, artifactType: 'application/vnd.in-toto+json' }]));
  // Payloads that indent to megabytes (ten 1,000-deep brackets: 20 KB → 20 MB of spaces) and past the stack.
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const wide = Buffer.from(`[${Array(10).fill(nested(1000)).join(',')}]`);
  const deep = Buffer.from(nested(20_000));
  const bomb = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.in-toto+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha(empty), size: 2 },
    layers: [wide, deep].map((b) => ({ mediaType: 'application/vnd.in-toto+json', digest: sha(b), size: b.length })),
  }));
  await pushArtifact(registry.url, REPO, 'bomb', { manifest: { bytes: bomb, digest: sha(bomb), mediaType: 'application/vnd.oci.image.manifest.v1+json' }, blobs: [empty, wide, deep] });
  bombDigest = sha(bomb);
});
after(async () => {
  await registry?.stop();
  home?.cleanup();
});

async function server(trust: Record<string, unknown> | undefined, trusted: boolean): Promise<TestServer> {
  const s = await startServer({ registry: { insecureHosts: [registry.host] }, ...(trust ? { trust } : {}) }, { env: home.env });
  // startServer says "untrusted"; a trusted workspace is said the way the client says it.
  if (trusted) await s.connection.sendNotification('manifestLens/environment', { trusted: true });
  return s;
}

const report = (s: TestServer, digest: string, index?: string): Promise<SupplyChainReport> =>
  s.connection.sendRequest('manifestLens/explorer/supplyChain', { registry: registry.host, repository: REPO, digest, ...(index ? { index } : {}) });

type Lens = { command?: { title: string; command: string; arguments?: unknown[] } };

/** The lenses of the fetched tag, once its signatures were read (the first answer says "reading…"). */
async function lensesOf(s: TestServer): Promise<{ uri: string; titles: string[]; lenses: Lens[] }> {
  const doc: RemoteDocument = await s.connection.sendRequest('manifestLens/inspect', { reference: `${registry.host}/${REPO}:signed` });
  s.open(doc.uri, doc.text);
  await s.diagnostics(doc.uri);
  for (let i = 0; i < 100; i++) {
    const lenses: Lens[] = await s.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: doc.uri } });
    const titles = lenses.map((l) => l.command?.title ?? '');
    if (!titles.some((t) => /reading…/.test(t))) return { uri: doc.uri, titles, lenses };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the lenses still say "reading…" after 10 s');
}

describe('with manifestLens.trust.keys in a trusted workspace', () => {
  let s: TestServer;
  before(async () => { s = await server({ keys: [keyFile] }, true); });
  after(async () => s?.stop());

  it('the index and linux/amd64: each cosign signature "signature valid, no transparency-log proof"; the BuildKit statements under linux/amd64', async () => {
    const top = await report(s, image.index.digest);
    assert.deepEqual(top.items.map((i) => [i.kind, i.verdict?.kind]), [['cosign-signature', 'valid-no-tlog']]);
    assert.match(top.trust, /^key .*cosign\.pub$/);
    assert.deepEqual(supplyChainRow(top.items[0]), { label: 'cosign signature', description: 'signature valid, no transparency-log proof', icon: 'verified' });

    const amd64 = await report(s, image.amd64.digest, image.index.digest);
    assert.deepEqual(amd64.items.map((i) => i.kind), ['cosign-signature', 'buildx-attestation-manifest', 'buildx-attestation-manifest']);
    assert.equal(amd64.items[0].verdict?.text, 'signature valid, no transparency-log proof');
    const slsa = supplyChainRow(amd64.items[1]);
    assert.match(slsa.description, /^no signature of its own · SLSA provenance: builder https:\/\/github\.com\/docker\/buildx@v0\.12\.0/);
    assert.equal(slsa.icon, 'note');
    // Without the index, its attestation manifest is not known: the signature only.
    assert.equal((await report(s, image.amd64.digest)).items.length, 1);
  });

  it('an item opens its decoded payload read-only: the statement, and the simple-signing payload', async () => {
    const amd64 = await report(s, image.amd64.digest, image.index.digest);
    const slsa: RemoteDocument = await s.connection.sendRequest('manifestLens/open', { uri: amd64.items[1].uri });
    const statement = JSON.parse(slsa.text);
    assert.equal(statement.predicateType, 'https://slsa.dev/provenance/v0.2');
    assert.equal(statement.subject[0].digest.sha256, image.amd64.digest.slice(7));
    assert.equal(slsa.kind, 'payload');
    const sig: RemoteDocument = await s.connection.sendRequest('manifestLens/open', { uri: amd64.items[0].uri });
    assert.equal(JSON.parse(sig.text).critical.image['docker-manifest-digest'], image.amd64.digest);
  });

  it('the lenses and the top hover of the fetched index name the signature and its verdict', async () => {
    const { uri, titles, lenses } = await lensesOf(s);
    const i = titles.indexOf('$(shield) cosign signature: signature valid, no transparency-log proof');
    assert.ok(i >= 0, titles.join(' | '));
    assert.equal(lenses[i].command?.command, 'manifestLens.openRemote');
    const hover: { contents: { value: string } } = await s.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    assert.match(hover.contents.value, /\*\*Signatures and attestations\*\* \(trust: key /);
    assert.match(hover.contents.value, /\*\*cosign signature\*\*: signature valid, no transparency\\-log proof/);
  });
});

describe('hostile text in a statement', () => {
  let s: TestServer;
  before(async () => { s = await server(undefined, true); });
  after(async () => s?.stop());

  it('reaches the row, the lenses and the hover on one line, without control or bidi characters, and no icon of its own in a lens', async () => {
    const r = await report(s, hostile.amd64);
    assert.deepEqual(r.items.map((i) => i.kind), ['in-toto-attestation']);
    const row = supplyChainRow(r.items[0]);
    assert.doesNotMatch(row.description, /[\u0000-\u001f\u007f-\u009f]/);
    assert.ok(row.description.includes('$(alert)'), 'a row is plain text: shown as it is');
    const doc: RemoteDocument = await s.connection.sendRequest('manifestLens/inspect', { reference: `${registry.host}/${REPO}:hostile` });
    s.open(doc.uri, doc.text);
    await s.diagnostics(doc.uri);
    const lenses: Lens[] = await s.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: doc.uri } });
    const lens = lenses.map((l) => l.command?.title ?? '').find((t) => t.includes('in-toto attestation'));
    assert.ok(lens, lenses.map((l) => l.command?.title).join(' | '));
    assert.match(lens, /^\$\(note\) in-toto attestation: no signature of its own · SLSA provenance: builder \\\$\(alert\) \]0;x exe\.gnp$/);
    assert.doesNotMatch(lens, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    const hover: { contents: { value: string } } = await s.connection.sendRequest('textDocument/hover', { textDocument: { uri: doc.uri }, position: { line: 0, character: 0 } });
    assert.match(hover.contents.value, /\*\*in\\-toto attestation\*\*: no signature of its own\n.*\n  - SLSA provenance: builder /);
    assert.doesNotMatch(hover.contents.value, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });
});

describe('a hostile predicate type in the top hover', () => {
  let s: TestServer;
  before(async () => { s = await server(undefined, true); });
  after(async () => s?.stop());

  it('stays in its code span on one line: no paragraph break, no link, no bidi control', async () => {
    const doc: RemoteDocument = await s.connection.sendRequest('manifestLens/inspect', { reference: `${registry.host}/${REPO}:hostile-type` });
    s.open(doc.uri, doc.text);
    await s.diagnostics(doc.uri);
    let value = '';
    for (let i = 0; i < 100 && !value.includes('predicate:'); i++) {
      await s.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: doc.uri } });
      const hover: { contents: { value: string } } = await s.connection.sendRequest('textDocument/hover', { textDocument: { uri: doc.uri }, position: { line: 0, character: 0 } });
      value = hover.contents.value;
      if (!value.includes('predicate:')) await new Promise((r) => setTimeout(r, 100));
    }
    const line = value.split('\n').find((l) => l.includes('predicate:'));
    assert.ok(line, value);
    assert.equal(line, "  - predicate: `https://x.example/ [click me](https://evil.example/) '`");
    assert.doesNotMatch(value, /[\r\u202a-\u202e\u2066-\u2069]/);
  });
});

describe('without trust', () => {
  let s: TestServer;
  before(async () => { s = await server(undefined, true); });
  after(async () => s?.stop());

  it('rows and lenses say "not verified: no trust configured"', async () => {
    const top = await report(s, image.index.digest);
    assert.equal(top.trust, 'no trust configured');
    assert.equal(supplyChainRow(top.items[0]).description, 'not verified: no trust configured');
    assert.equal(supplyChainRow(top.items[0]).icon, 'unverified');
    const { titles } = await lensesOf(s);
    assert.ok(titles.includes('$(shield) cosign signature: not verified: no trust configured'), titles.join(' | '));
    assert.ok(!titles.some((t) => /signature valid/.test(t)), titles.join(' | '));
  });
});

describe('manifestLens.trust.keys in an untrusted workspace', () => {
  let s: TestServer;
  before(async () => { s = await server({ keys: [keyFile] }, false); });
  after(async () => s?.stop());

  it('the key file is not read: "untrusted workspace", every signature not verified', async () => {
    const top = await report(s, image.index.digest);
    assert.match(top.trust, /^untrusted workspace: the files in manifestLens\.trust are not read/);
    assert.equal(top.items[0].verdict?.kind, 'not-verified');
  });
});

describe('a payload that indents to megabytes, or nests past the stack', () => {
  let s: TestServer;
  before(async () => { s = await server(undefined, true); });
  after(async () => s?.stop());

  it('opens on one line with a warning (not 20 MB of spaces), and the too-deep one with a note (not "Unexpected failure")', async () => {
    const open = (layer: number): Promise<RemoteDocument> =>
      s.connection.sendRequest('manifestLens/open', { uri: remoteUri({ registry: registry.host, repository: REPO, ref: bombDigest, kind: 'payload', layer, raw: false }) });
    const wide = await open(0);
    assert.ok(wide.text.length < 100_000, `${wide.text.length} characters`);
    assert.deepEqual(JSON.parse(wide.text).length, 10);
    assert.ok(wide.warnings.some((w) => /shown on one line, not indented: it nests more than/.test(w)), wide.warnings.join(' | '));
    const deep = await open(1);
    assert.match(JSON.parse(deep.text).note, /nested too deep to show decoded/);
  });
});
