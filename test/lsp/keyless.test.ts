/**
 * Keyless signatures in the editor, over LSP (dist/server.js), against a real docker-registry 2.8
 * on 127.0.0.1 (the fallback tag): a Sigstore bundle from @sigstore/mock's CA and log
 * (test/supplychain/keylessFixtures.ts) is "verified" in the explorer's row and the fetched
 * manifest's lens with manifestLens.trust.trustedRoot and an identity of manifestLens.trust.identities
 * that is the certificate's (the first or a later one); with only another identity, it is not.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { supplyChainRow } from '../../common/explorerRows';
import type { RemoteDocument, SupplyChainReport } from '../../common/protocol';
import { isolatedEnv, type IsolatedEnv } from '../harness/cli';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { pushArtifact, pushImage, pushManifest, referrersIndex, sigstoreBundleManifest, statement, type Doc } from '../supplychain/fixtures';
import { makeKeylessSigner } from '../supplychain/keylessFixtures';
import { startServer, type TestServer } from './lspClient';

const REPO = 'sc/keyless-editor';
const IDENTITY = 'https://github.com/example/app/.github/workflows/release.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const OTHER = { identity: 'https://github.com/example/app/.github/workflows/other.yml@refs/heads/main', issuer: ISSUER };

let registry: RunningRegistry;
let home: IsolatedEnv;
let image: Doc;
let rootFile = '';

before(async () => {
  home = isolatedEnv();
  registry = await startRegistry({ auth: 'none' });
  const signer = await makeKeylessSigner();
  rootFile = join(home.dir, 'trusted_root.json');
  writeFileSync(rootFile, signer.trustedRoot());
  image = await pushImage(registry.url, REPO, 'signed', 'signed');
  const made = await signer.bundle(statement('https://sigstore.dev/cosign/sign/v1', image.digest, {}));
  const built = sigstoreBundleManifest(made.json, { mediaType: image.mediaType, digest: image.digest, size: image.bytes.length });
  await pushArtifact(registry.url, REPO, undefined, built);
  await pushManifest(registry.url, REPO, `sha256-${image.digest.slice(7)}`, referrersIndex([{ manifest: built.manifest, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }]));
});
after(async () => {
  await registry?.stop();
  home?.cleanup();
});

async function server(identities: readonly { identity: string; issuer: string }[]): Promise<TestServer> {
  const s = await startServer({ registry: { insecureHosts: [registry.host] }, trust: { trustedRoot: rootFile, identities } }, { env: home.env });
  await s.connection.sendNotification('manifestLens/environment', { trusted: true });
  return s;
}

const report = (s: TestServer): Promise<SupplyChainReport> =>
  s.connection.sendRequest('manifestLens/explorer/supplyChain', { registry: registry.host, repository: REPO, digest: image.digest });

type Lens = { command?: { title: string } };

async function lensTitles(s: TestServer): Promise<string[]> {
  const doc: RemoteDocument = await s.connection.sendRequest('manifestLens/inspect', { reference: `${registry.host}/${REPO}:signed` });
  s.open(doc.uri, doc.text);
  await s.diagnostics(doc.uri);
  for (let i = 0; i < 100; i++) {
    const lenses: Lens[] = await s.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: doc.uri } });
    const titles = lenses.map((l) => l.command?.title ?? '');
    if (!titles.some((t) => /reading…/.test(t))) return titles;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the lenses still say "reading…" after 10 s');
}

describe('manifestLens.trust.trustedRoot with the signer among manifestLens.trust.identities', () => {
  let s: TestServer;
  before(async () => { s = await server([OTHER, { identity: IDENTITY, issuer: ISSUER }]); });
  after(async () => s?.stop());

  it('the row and the lens say "verified", by the certificate\'s identity (the second one given)', async () => {
    const r = await report(s);
    assert.deepEqual(r.items.map((i) => [i.kind, i.verdict?.kind]), [['sigstore-bundle', 'verified']]);
    assert.match(r.items[0].verdict?.by ?? '', new RegExp(`^certificate for ${IDENTITY.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(issuer `));
    assert.deepEqual(supplyChainRow(r.items[0]), { label: 'Sigstore bundle', description: 'verified', icon: 'verified' });
    const titles = await lensTitles(s);
    assert.ok(titles.includes('$(shield) Sigstore bundle: verified'), titles.join(' | '));
  });
});

describe('manifestLens.trust.trustedRoot with another identity only', () => {
  let s: TestServer;
  before(async () => { s = await server([OTHER]); });
  after(async () => s?.stop());

  it('the row and the lens say invalid, naming the certificate\'s identity; never verified', async () => {
    const r = await report(s);
    assert.equal(r.items[0].verdict?.kind, 'invalid');
    const row = supplyChainRow(r.items[0]);
    assert.equal(row.icon, 'error');
    assert.match(row.description, /^invalid — the certificate is for https:\/\/github\.com\/example\/app\/\.github\/workflows\/release\.yml@refs\/heads\/main, not .*other\.yml/);
    const titles = await lensTitles(s);
    assert.ok(titles.some((t) => /^\$\(shield\) Sigstore bundle: invalid/.test(t)), titles.join(' | '));
    assert.ok(!titles.some((t) => /Sigstore bundle: verified/.test(t)), titles.join(' | '));
  });
});
