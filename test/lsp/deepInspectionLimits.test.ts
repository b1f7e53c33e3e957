/**
 * Deep inspection's bounds (server/src/lsp/deepInspection.ts), on the class itself against the
 * fake registry on 127.0.0.1: every entry of an index past the old limit of 64 is inspected,
 * children are held by digest for the next inspection, and when it stops early (the per-index
 * limit, or a registry that rate-limits) one diagnostic on `manifests` says so and why, and
 * nothing more is asked of a registry that answered 429.
 */
import assert from 'node:assert/strict';
import { after, beforeEach, test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze } from '../../server/src/engine/analyze';
import { MANIFEST_ACCEPT_TYPES } from '../../server/src/engine/mediaTypes';
import { DEEP_STOPPED, DeepInspection } from '../../server/src/lsp/deepInspection';
import { forgetHeldDocuments } from '../../server/src/lsp/heldDocuments';
import type { Fetched } from '../../server/src/lsp/remote';
import { remoteUri } from '../../server/src/lsp/remoteUri';
import { createRegistryClient } from '../../server/src/registry';
import { errorBody, sha256, startFakeRegistry, type FakeRegistry } from '../registry/fakeRegistry';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const fakes: FakeRegistry[] = [];
after(async () => {
  await Promise.all(fakes.map((f) => f.close()));
});
beforeEach(() => forgetHeldDocuments());

/** An index of `n` distinct children, each an OCI manifest with a Docker config (the seed's trap). */
async function indexOf(n: number, options: Parameters<typeof startFakeRegistry>[0] = {}): Promise<{ fake: FakeRegistry; text: string; children: string[] }> {
  const fake = await startFakeRegistry(options);
  fakes.push(fake);
  const children: string[] = [];
  const entries = [];
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(`config ${i}`), size: 10 },
      layers: [],
      annotations: { n: String(i) },
    });
    const digest = fake.putManifest('app', undefined, body, OCI_MANIFEST);
    children.push(digest);
    entries.push({ mediaType: OCI_MANIFEST, digest, size: Buffer.byteLength(body) });
  }
  const text = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }, null, 2);
  fake.putManifest('app', 'idx', text, OCI_INDEX);
  return { fake, text, children };
}

/** Runs one deep inspection of the index `text` served by `fake`; resolves with the diagnostics once it is done. */
async function inspect(fake: FakeRegistry, text: string, maxChildren?: number): Promise<{ diagnostics: Diagnostic[]; doc: TextDocument }> {
  const uri = remoteUri({ registry: fake.hostPort, repository: 'app', ref: 'idx', kind: 'manifest', raw: false });
  const bytes = Buffer.from(text);
  const fetched: Fetched = {
    target: { registry: fake.hostPort, repository: 'app', ref: 'idx', kind: 'manifest', raw: false },
    reference: `${fake.hostPort}/app:idx`, bytes, contentType: OCI_INDEX, digest: sha256(bytes), verified: 'docker-content-digest', requests: 1, warnings: [],
  };
  const client = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 5000 });
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const deep = new DeepInspection({ client: () => client, fetched: () => fetched, log: () => undefined, done: () => finished() });
  const doc = TextDocument.create(uri, 'json', 1, text);
  const analysis = analyze(text, { contentType: OCI_INDEX });
  assert.deepEqual(deep.diagnostics(doc, analysis, { enabled: true, maxEntries: maxChildren }), [], 'the index shows at once');
  await done;
  const diagnostics = deep.diagnostics(doc, analysis, { enabled: true, maxEntries: maxChildren });
  deep.forget(uri);
  await client.close();
  return { diagnostics, doc };
}

const manifestGets = (fake: FakeRegistry): number => fake.requests.filter((r) => r.method === 'GET' && /\/manifests\/sha256:/.test(r.path)).length;
const entryLine = (doc: TextDocument, text: string, digest: string): number => doc.positionAt(text.indexOf(digest)).line;

test('every entry past the old 64 is inspected; a second inspection fetches nothing (held by digest)', async () => {
  const { fake, text, children } = await indexOf(70);
  const { diagnostics, doc } = await inspect(fake, text);
  const last = children[69]!;
  assert.ok(diagnostics.some((d) => d.code === 'mixed-config-media-type' && d.range.start.line === entryLine(doc, text, last)), 'the 70th entry is marked');
  assert.equal(diagnostics.filter((d) => d.code === 'mixed-config-media-type').length, 70);
  assert.ok(!diagnostics.some((d) => d.code === DEEP_STOPPED), diagnostics.filter((d) => d.code === DEEP_STOPPED).map((d) => d.message).join('\n'));
  assert.equal(manifestGets(fake), 70, 'each child once');
  const again = await inspect(fake, text);
  assert.equal(manifestGets(fake), 70, 'nothing fetched again');
  assert.equal(again.diagnostics.filter((d) => d.code === 'mixed-config-media-type').length, 70);
});

test('past the per-index limit: the first N are inspected, and a diagnostic on "manifests" says how many and why', async () => {
  const { fake, text, children } = await indexOf(8);
  const { diagnostics, doc } = await inspect(fake, text, 5);
  const stopped = diagnostics.filter((d) => d.code === DEEP_STOPPED);
  assert.equal(stopped.length, 1);
  assert.equal(stopped[0]!.severity, 3, 'information');
  assert.match(stopped[0]!.message, /checked the first 5 of 8 entries: at most 5 per index \(manifestLens\.remote\.deepInspectionMaxEntries\), to bound the requests .* The other 3 were not fetched/);
  assert.equal(doc.getText(stopped[0]!.range), '"manifests"');
  assert.ok(diagnostics.some((d) => d.code === 'mixed-config-media-type' && d.range.start.line === entryLine(doc, text, children[4]!)));
  assert.ok(!diagnostics.some((d) => d.code === 'mixed-config-media-type' && d.range.start.line === entryLine(doc, text, children[5]!)));
  assert.equal(manifestGets(fake), 5);
});

test('a registry that answers 429 is asked nothing more; one warning says so instead of one per entry', async () => {
  const { fake, text } = await indexOf(30, {
    intercept: (_req, res, rec) => {
      if (!/\/manifests\/sha256:/.test(rec.path)) return false;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '60', 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600' });
      res.end(errorBody('TOOMANYREQUESTS', 'You have reached your pull rate limit.'));
      return true;
    },
  });
  const { diagnostics } = await inspect(fake, text);
  const gets = manifestGets(fake);
  assert.ok(gets >= 1 && gets <= 4, `at most the requests already in flight (4 at a time): ${gets}`);
  const stopped = diagnostics.filter((d) => d.code === DEEP_STOPPED);
  assert.equal(stopped.length, 1, diagnostics.map((d) => `${d.code}: ${d.message}`).join('\n'));
  assert.equal(stopped[0]!.severity, 2, 'a warning');
  assert.match(stopped[0]!.message, new RegExp(`stopped fetching children when the registry rate-limited it; ${30 - gets} documents were not fetched.*rate-limiting requests`));
  const unavailable = diagnostics.filter((d) => d.code === 'child-unavailable');
  assert.equal(unavailable.length, gets, 'only the entries whose own request got the 429');
});
