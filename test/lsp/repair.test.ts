/**
 * Repair in registry… and Push Manifest… through the LSP requests the VS Code client uses
 * (issue 19, the editor half), against a REAL docker-registry on 127.0.0.1 seeded with the
 * seed's podman#22196 index (an OCI index whose OCI children carry a Docker config and Docker
 * layers), behind a counting forwarder that sees every request: the code action is offered on
 * the fetched index, the repair pushes the children by digest and then the tag, the original tag
 * does not move, and the repaired index fetched again lints clean (deep inspection included).
 * Untrusted, or with manifestLens.remote.allowPush off, nothing is offered and nothing is written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { MT } from '../../server/src/engine/mediaTypes';
import { startCounter } from '../harness/counter';
import { headerValue, httpCall } from '../harness/http';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedSamples, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';
import { startServer, type TestServer } from './lspClient';

interface RemoteDocument { uri: string; text: string; digest: string }
interface RepairPreview { tag?: string; suggestedTag: string; refusals: string[]; attached?: string[]; writes: { oldDigest: string; newDigest: string; oldText: string; newText: string; top: boolean; platform?: string }[]; newDigest: string; writesRefused?: string }
interface RepairResult { reference: string; uri: string; written: string[]; previousDigest?: string }
interface PushResult { digest: string; errors: string[]; missing: string[]; tagDigest?: string; reference?: string; uri?: string }

const skip = skipUnlessTools({ registry: true });
const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);
const repo = 'samples/podman-22196';

describe('Repair in registry… over LSP', { skip }, () => {
  let registry: RunningRegistry;
  let seeds: SeededImages;
  let counter: Awaited<ReturnType<typeof startCounter>>;
  let server: TestServer;
  // The object the test client answers workspace/configuration with: changed in place, then announced.
  const settings: { remote: { allowPush?: boolean } } = { remote: {} };

  before(async () => {
    registry = await startRegistry();
    seeds = await seedSamples(registry.url);
    counter = await startCounter(registry.host);
    server = await startServer(settings);
  });
  after(async () => {
    await server?.stop();
    await counter?.close();
    await registry?.stop();
  });

  const tagDigest = async (tag: string): Promise<string | undefined> => {
    const r = await httpCall(`${registry.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { accept: [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ') } });
    return r.status === 200 ? headerValue(r, 'docker-content-digest') : undefined;
  };
  const writes = () => counter.seen.filter((s) => WRITES.has(s.method));
  let version = 0;
  /** Fetches a reference through the counter and opens it; resolves once deep inspection has published its findings. */
  const inspect = async (reference: string, waitDeep = true): Promise<{ doc: RemoteDocument; diagnostics: Diagnostic[] }> => {
    const doc: RemoteDocument = await server.connection.sendRequest('manifestLens/inspect', { reference });
    const v = ++version;
    const first = server.diagnostics(doc.uri, v);
    server.open(doc.uri, doc.text, v);
    const shown = await first;
    if (!waitDeep) return { doc, diagnostics: shown };
    // The second publication is deep inspection's (the children linted); it may be the only one left.
    const deep = await server.diagnostics(doc.uri, v).catch(() => [] as Diagnostic[]);
    return { doc, diagnostics: deep };
  };
  const actions = (uri: string, diagnostics: Diagnostic[]): Promise<CodeAction[]> =>
    server.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics } });
  const lenses = async (uri: string): Promise<string[]> =>
    (await server.connection.sendRequest<{ command?: { title: string } }[]>('textDocument/codeLens', { textDocument: { uri } })).map((l) => l.command?.title ?? '');
  const close = (uri: string) => void server.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  const setEnv = async (trusted: boolean) => {
    await server.connection.sendNotification('manifestLens/environment', { trusted });
    // The notification is handled before the next request is read (one message at a time, in order).
    await server.connection.sendRequest('manifestLens/validateReference', { text: 'x' });
  };
  const setAllowPush = async (allow: boolean | undefined) => {
    settings.remote.allowPush = allow;
    await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    // The server asks for the settings again; one round trip later they are in.
    await new Promise((r) => setTimeout(r, 300));
    await server.connection.sendRequest('manifestLens/validateReference', { text: 'x' });
  };

  test('untrusted, or with allowPush off: no Repair action, and apply and push write nothing', async () => {
    const { doc, diagnostics } = await inspect(`${counter.host}/${repo}:mixed`);
    assert.ok(diagnostics.some((d) => d.code === 'mixed-config-media-type'), `deep inspection found the children's Docker config: ${diagnostics.map((d) => d.code).join()}`);
    const preview: RepairPreview = await server.connection.sendRequest('manifestLens/repair/plan', { uri: doc.uri, to: 'oci' });
    assert.match(preview.writesRefused ?? '', /untrusted workspace/);
    for (const [trusted, allow] of [[false, undefined], [true, false]] as const) {
      await setEnv(trusted);
      await setAllowPush(allow);
      assert.deepEqual(await actions(doc.uri, diagnostics), [], `trusted ${trusted}, allowPush ${allow}: nothing offered`);
      assert.deepEqual((await lenses(doc.uri)).filter((t) => t.includes('Repair')), [], 'no lens either');
      counter.seen.length = 0;
      await assert.rejects(
        server.connection.sendRequest('manifestLens/repair/apply', { uri: doc.uri, to: 'oci', mode: 'tag', tag: 'mixed-oci', expectDigest: preview.newDigest }),
        (e: unknown) => e instanceof ResponseError && (e.data as { kind?: string }).kind === 'writes-disabled' && (trusted ? /allowPush is false/ : /untrusted/).test(e.message),
      );
      await assert.rejects(
        server.connection.sendRequest('manifestLens/pushManifest', { text: preview.writes[0]!.newText, reference: `${counter.host}/${repo}:pushed`, mode: 'write' }),
        (e: unknown) => e instanceof ResponseError && (e.data as { kind?: string }).kind === 'writes-disabled',
      );
      assert.equal(counter.seen.length, 0, `no request at all: ${JSON.stringify(counter.seen)}`);
    }
    await setAllowPush(undefined);
    close(doc.uri);
  });

  test('trusted: the action is offered on the fetched index; apply pushes the children by digest, then the new tag; the original tag stays; the re-fetched index lints clean', async () => {
    await setEnv(true);
    const { doc, diagnostics } = await inspect(`${counter.host}/${repo}:mixed`);
    const offered = await actions(doc.uri, diagnostics);
    const repairAction = offered.find((a) => a.title.startsWith('Repair in registry…'));
    assert.ok(repairAction, `offered: ${offered.map((a) => a.title).join(' | ')}`);
    assert.equal(repairAction.command?.command, 'manifestLens.repairInRegistry');
    assert.deepEqual(repairAction.command?.arguments, [doc.uri, 'oci'], 'the first is the index\'s own family');
    // And as a lens (VS Code offers no Ctrl+. in a read-only editor).
    assert.ok((await lenses(doc.uri)).includes('$(wrench) Repair in registry… (to OCI)'), (await lenses(doc.uri)).join(' | '));
    // Offered wherever the cursor is: Ctrl+. on the first line, without a diagnostic there.
    assert.ok((await actions(doc.uri, [])).some((a) => a.title.startsWith('Repair in registry…')));

    counter.seen.length = 0;
    const preview: RepairPreview = await server.connection.sendRequest('manifestLens/repair/plan', { uri: doc.uri, to: 'oci' });
    assert.deepEqual(writes(), [], 'the plan reads only');
    assert.deepEqual(preview.refusals, []);
    assert.equal(preview.tag, 'mixed');
    assert.equal(preview.suggestedTag, 'mixed-oci');
    assert.equal(preview.writes.length, 3);
    assert.deepEqual(preview.writes.map((w) => w.top), [false, false, true]);
    assert.deepEqual(preview.writes.map((w) => w.platform ?? '').slice(0, 2).sort(), ['linux/amd64', 'linux/arm64/v8']);
    assert.equal(preview.writes[2]!.oldDigest, seeds.podman22196.index.digest);
    assert.equal(preview.writes[2]!.oldText, doc.text, 'the diff\'s left side is the document on screen');
    assert.match(preview.writes[0]!.oldText, /"application\/vnd\.docker\.container\.image\.v1\+json"/);
    assert.match(preview.writes[0]!.newText, /"application\/vnd\.oci\.image\.config\.v1\+json"/);

    // A stale preview writes nothing.
    counter.seen.length = 0;
    await assert.rejects(
      server.connection.sendRequest('manifestLens/repair/apply', { uri: doc.uri, to: 'oci', mode: 'tag', tag: 'mixed-oci', expectDigest: `sha256:${'0'.repeat(64)}` }),
      /not the sha256:000000000000… that was shown; nothing was written/,
    );
    assert.deepEqual(writes(), []);

    counter.seen.length = 0;
    const result: RepairResult = await server.connection.sendRequest('manifestLens/repair/apply', { uri: doc.uri, to: 'oci', mode: 'tag', tag: 'mixed-oci', expectDigest: preview.newDigest });
    const w = writes();
    assert.deepEqual(w.map((s) => s.method), ['PUT', 'PUT', 'PUT']);
    assert.ok(w.slice(0, 2).every((s) => /\/manifests\/sha256:[0-9a-f]{64}$/.test(s.path)) && w[2]!.path === `/v2/${repo}/manifests/mixed-oci`, `children by digest first, the tag last: ${JSON.stringify(w)}`);
    assert.ok(!counter.seen.some((s) => s.path.includes('/blobs/uploads')), 'no blob upload');
    assert.equal(result.reference, `${counter.host}/${repo}:mixed-oci@${preview.newDigest}`);
    assert.deepEqual(result.written, preview.writes.map((x) => x.newDigest));
    assert.equal(await tagDigest('mixed-oci'), preview.newDigest);
    assert.equal(await tagDigest('mixed'), seeds.podman22196.index.digest, 'the original tag did not move');

    // The repaired document, fetched again from the registry: clean, its children too.
    const repaired: RemoteDocument = await server.connection.sendRequest('manifestLens/open', { uri: result.uri });
    assert.equal(repaired.digest, preview.newDigest);
    const v = ++version;
    const first = server.diagnostics(repaired.uri, v);
    server.open(repaired.uri, repaired.text, v);
    assert.deepEqual((await first).map((d) => d.code), []);
    const deep = await server.diagnostics(repaired.uri, v, 5000).catch(() => [] as Diagnostic[]);
    assert.deepEqual(deep.filter((d) => d.severity === 1 || d.severity === 2).map((d) => `${d.code}: ${d.message}`), [], 'no error or warning below it');
    assert.deepEqual(await actions(repaired.uri, deep), [], 'nothing left to repair');
    assert.deepEqual((await lenses(repaired.uri)).filter((t) => t.includes('Repair')), []);
    close(repaired.uri);

    // Another repair (to Docker) under the now existing tag is refused: a tag is moved only when asked.
    counter.seen.length = 0;
    await assert.rejects(
      server.connection.sendRequest('manifestLens/repair/apply', { uri: doc.uri, to: 'docker', mode: 'tag', tag: 'mixed-oci', expectDigest: (await server.connection.sendRequest<RepairPreview>('manifestLens/repair/plan', { uri: doc.uri, to: 'docker' })).newDigest }),
      /The tag :mixed-oci already exists .*nothing was written/,
    );
    assert.deepEqual(writes(), []);
    close(doc.uri);
  });

  test('in place: a tag moved under us stops the move (the children are harmless); a 403 on write says the account lacks push rights', async () => {
    const { doc } = await inspect(`${counter.host}/${repo}:mixed`, false);
    const preview: RepairPreview = await server.connection.sendRequest('manifestLens/repair/plan', { uri: doc.uri, to: 'oci' });
    counter.hook = async (s) => (s.method === 'HEAD' && s.path === `/v2/${repo}/manifests/mixed` ? { status: 404, body: '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}' } : undefined);
    counter.seen.length = 0;
    try {
      await assert.rejects(
        server.connection.sendRequest('manifestLens/repair/apply', { uri: doc.uri, to: 'oci', mode: 'in-place', expectDigest: preview.newDigest }),
        /The tag :mixed moved since it was read .*it is now gone\); it was not changed\. 2 repaired manifests were pushed by digest only \(harmless\)/,
      );
    } finally {
      counter.hook = undefined;
    }
    assert.ok(!writes().some((s) => s.path.endsWith('/manifests/mixed')), 'the tag was not written');
    assert.equal(await tagDigest('mixed'), seeds.podman22196.index.digest);

    counter.hook = async (s) => (s.method === 'PUT' ? { status: 403, body: '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}' } : undefined);
    try {
      await assert.rejects(
        server.connection.sendRequest('manifestLens/repair/apply', { uri: doc.uri, to: 'oci', mode: 'tag', tag: 'denied-oci', expectDigest: preview.newDigest }),
        (e: unknown) => e instanceof ResponseError && /the account lacks push rights there\..*Nothing was written\./.test(e.message) && !/password|token/i.test(e.message),
      );
    } finally {
      counter.hook = undefined;
    }
    assert.equal(await tagDigest('denied-oci'), undefined);
    close(doc.uri);
  });

  test('Push Manifest…: check lints and names what moves; write pushes the exact text; a document with errors is refused unless forced', async () => {
    const { doc } = await inspect(`${counter.host}/${repo}:mixed`, false);
    const preview: RepairPreview = await server.connection.sendRequest('manifestLens/repair/plan', { uri: doc.uri, to: 'oci' });
    const broken = preview.writes[0]!.oldText; // a child as served: Docker config in an OCI manifest (an error)
    const ref = `${counter.host}/${repo}:edited`;
    counter.seen.length = 0;
    const check: PushResult = await server.connection.sendRequest('manifestLens/pushManifest', { text: broken, reference: ref, mode: 'check' });
    assert.ok(check.errors.some((e) => e.startsWith('mixed-config-media-type')), check.errors.join('\n'));
    assert.deepEqual(check.missing, []);
    assert.equal(check.tagDigest, undefined, 'a new tag');
    await assert.rejects(server.connection.sendRequest('manifestLens/pushManifest', { text: broken, reference: ref, mode: 'write' }), /lint error.*nothing was written/);
    assert.deepEqual(writes(), []);

    const text = preview.writes[0]!.newText.replace('{', '{\n  "annotations": {"edited": "in the editor"},');
    const pushed: PushResult = await server.connection.sendRequest('manifestLens/pushManifest', { text, reference: ref, mode: 'write' });
    const served = await httpCall(`${registry.url}/v2/${repo}/manifests/edited`, { headers: { accept: MT.ociManifest } });
    assert.equal(served.body.toString('utf8'), text, 'the exact bytes of the text');
    assert.equal(pushed.reference, `${ref}@${pushed.digest}`);
    assert.equal(await tagDigest('edited'), pushed.digest);
    const forced: PushResult = await server.connection.sendRequest('manifestLens/pushManifest', { text: broken, reference: ref, mode: 'write', force: true });
    assert.equal(await tagDigest('edited'), forced.digest, 'Push anyway moved the tag');
    close(doc.uri);
  });
  test('the plan names what is attached to the manifest being replaced (its SBOM referrer), which the new digest does not carry (before: not said)', async () => {
    const amd64 = seeds.cleanOci.amd64.digest;
    const { doc } = await inspect(`${counter.host}/samples/clean-oci:amd64`, false);
    const preview: RepairPreview = await server.connection.sendRequest('manifestLens/repair/plan', { uri: doc.uri, to: 'docker' });
    assert.deepEqual(preview.refusals, []);
    assert.equal(preview.writes.length, 1);
    assert.deepEqual(preview.attached, [`1 referrer (tag :sha256-${amd64.slice(7)})`]);
    const bare = await inspect(`${counter.host}/${repo}:mixed`, false);
    const none: RepairPreview = await server.connection.sendRequest('manifestLens/repair/plan', { uri: bare.doc.uri, to: 'oci' });
    assert.equal(none.attached, undefined, 'nothing attached, nothing said');
    close(doc.uri);
    close(bare.doc.uri);
  });
});
