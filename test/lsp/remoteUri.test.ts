/**
 * URIs of fetched documents (lsp/remoteUri.ts): short titles for the tabs, full references back,
 * and the same document after VS Code's URI class (vscode-uri, the code VS Code itself runs) has
 * parsed and printed the URI, as it does to every URI between the server and the editor.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { URI } from 'vscode-uri';
import { parseRemoteUri, remoteKey, remoteTitle, remoteUri, withRaw, type RemoteTarget } from '../../server/src/lsp/remoteUri';

const DIGEST = 'sha256:68ff12345678' + 'ab'.repeat(26);
const OTHER = 'sha512:' + 'c0'.repeat(64);

function title(uri: string): string {
  return decodeURIComponent(uri.split('?')[0].split('/').pop()!).replace(/\.json$/, '');
}

/** What VS Code gives back for a URI: its canonical form, and the readable one it shows. */
function viaVscode(uri: string): string[] {
  const u = URI.parse(uri);
  return [u.toString(), u.toString(true), URI.parse(u.toString(true)).toString()];
}

const TAG: RemoteTarget = { registry: '127.0.0.1:5055', repository: 'samples/podman-22196', ref: 'mixed', kind: 'manifest', raw: false };

/** Every kind of URI the extension makes (lenses, explorer nodes, Check Tag, Show raw). */
const MADE: RemoteTarget[] = [
  TAG,
  { ...TAG, raw: true },
  { ...TAG, ref: DIGEST },
  { ...TAG, ref: DIGEST, raw: true },
  { ...TAG, ref: DIGEST, label: 'linux/amd64' },
  { ...TAG, ref: DIGEST, label: 'linux/arm64/v8', raw: true },
  { ...TAG, ref: DIGEST, label: 'subject' },
  { ...TAG, ref: DIGEST, kind: 'blob' },
  { ...TAG, ref: DIGEST, kind: 'blob', raw: true },
  { ...TAG, ref: DIGEST, kind: 'referrers' },
  { ...TAG, ref: DIGEST, kind: 'referrers', raw: true },
  { registry: 'localhost:5000', repository: 'app', ref: 'v1.2-rc_3', kind: 'manifest', raw: false },
  { registry: 'localhost:5000', repository: 'app', ref: DIGEST, kind: 'blob', raw: false },
  { registry: 'docker.io', repository: 'library/alpine', ref: DIGEST, kind: 'manifest', raw: true, label: 'linux/arm64/v8' },
  { registry: 'ghcr.io', repository: 'a/b/c/d.e_f-g', ref: OTHER, kind: 'referrers', raw: false },
  { registry: 'registry.example.com:443', repository: 'deep/nested/path/to/image', ref: 'Latest.2026_01-x', kind: 'manifest', raw: false },
  { registry: '[::1]:5000', repository: 'v6/app', ref: DIGEST, kind: 'manifest', raw: false, label: 'windows/amd64' },
  { registry: 'xn--bcher-kva.example:5000', repository: 'app', ref: DIGEST, kind: 'manifest', raw: false, label: 'linux/ppc64le' },
  // Platform labels are registry data: unicode, reserved characters, spaces, percent signs.
  { ...TAG, ref: DIGEST, label: 'linux/arm64/v8 · größe 日本 🐳' },
  { ...TAG, ref: DIGEST, label: 'a?b#c&d=e%2Fg+h;i,j@k!l$m' },
  // Digest algorithms and encodings the grammar allows beyond sha256 hex.
  { ...TAG, ref: 'sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564', kind: 'blob' },
  { ...TAG, ref: 'multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8' },
  // A signature's or attestation's decoded payload: layer N of the attached manifest.
  { ...TAG, ref: DIGEST, kind: 'payload', layer: 0 },
  { ...TAG, ref: DIGEST, kind: 'payload', layer: 12, raw: true },
];

/** The target a URI must come back as: the label is for people, but plain ones come back too. */
function same(back: RemoteTarget | undefined, t: RemoteTarget, uri: string): void {
  assert.ok(back, `parses: ${uri}`);
  assert.equal(remoteKey(back), remoteKey(t), uri);
  assert.deepEqual({ ...back, label: undefined }, { ...t, label: undefined }, uri);
  // A "%" in a label is shown as its look-alike "％" (VS Code's readable form leaves "%2F" bare).
  if (t.label && !/[()]/.test(t.label)) assert.equal(back.label, t.label.replace(/%/g, '\uFF05'), uri);
}

test('every URI the extension makes names the same document after VS Code\'s URI class parsed and printed it', () => {
  for (const t of MADE) {
    const uri = remoteUri(t);
    // Made in vscode-uri's own form: what VS Code sends back (didOpen, codeLens, hover) is this string.
    assert.equal(URI.parse(uri).toString(), uri, 'canonical');
    for (const back of viaVscode(uri)) same(parseRemoteUri(back), t, `${uri} -> ${back}`);
    // The query is one token of unreserved characters: nothing in it for an encoder to change.
    const query = uri.split('?')[1] ?? '';
    if (t.ref === DIGEST) assert.match(query, /^[A-Za-z0-9._~-]+$/, uri);
    // Show raw bytes / pretty-printed from the URI VS Code gives back.
    assert.deepEqual(parseRemoteUri(withRaw(URI.parse(uri).toString(), !t.raw)!)?.raw, !t.raw);
  }
});

test('URIs of the earlier query form open the same document, as made and as VS Code re-encoded them (the digest was lost)', () => {
  const old = `oci-image:/127.0.0.1:5055/samples/podman-22196@sha256:68ff12345678%E2%80%A6%20(linux%E2%88%95arm64).json?digest=${encodeURIComponent(DIGEST)}&kind=blob&raw=1`;
  const vscodeForm = URI.parse(old).toString();
  assert.match(vscodeForm, /\?digest%3Dsha256%3A/, 'VS Code escapes the query\'s = and &');
  const expected: RemoteTarget = { registry: '127.0.0.1:5055', repository: 'samples/podman-22196', ref: DIGEST, kind: 'blob', raw: true, label: 'linux/arm64' };
  for (const form of [old, vscodeForm, URI.parse(old).toString(true)]) assert.deepEqual(parseRemoteUri(form), expected, form);
});

test('tab titles read like references: cirros:6.1, cirros@sha256:68ff12345678… (linux/arm64)', () => {
  const tag: RemoteTarget = { registry: '127.0.0.1:5000', repository: 'boukhano/cirros', ref: '6.1', kind: 'manifest', raw: false };
  assert.equal(title(remoteUri(tag)), 'cirros:6.1');
  const child: RemoteTarget = { ...tag, ref: DIGEST, label: 'linux/arm64' };
  assert.equal(remoteTitle(child), 'cirros@sha256:68ff12345678… (linux/arm64)');
  assert.equal(title(remoteUri(child)), 'cirros@sha256:68ff12345678… (linux\u2215arm64)');
  assert.equal(URI.parse(remoteUri(child)).path.split('/').pop(), 'cirros@sha256:68ff12345678… (linux\u2215arm64).json', 'what the tab shows');
  assert.equal(title(remoteUri({ ...tag, ref: DIGEST, kind: 'blob' })), 'cirros@sha256:68ff12345678… (config)');
  assert.equal(title(remoteUri({ ...tag, raw: true })), 'cirros:6.1 (raw)');
});

test('every URI parses back to the full reference; the title does not change which document it is', () => {
  for (const t of MADE) {
    const back = parseRemoteUri(remoteUri(t));
    same(back, t, remoteUri(t));
    assert.equal(remoteKey(back!), remoteKey({ ...t, label: undefined, raw: !t.raw }));
    same(parseRemoteUri(withRaw(remoteUri(t), !t.raw)!), { ...t, raw: !t.raw }, remoteUri(t));
  }
});

test('a registry that looks like a drive letter (A:5000), which vscode-uri lower-cases, keeps its key', () => {
  const t: RemoteTarget = { registry: 'A:5000', repository: 'app', ref: DIGEST, kind: 'manifest', raw: false };
  const back = parseRemoteUri(URI.parse(remoteUri(t)).toString())!;
  assert.equal(remoteKey(back), remoteKey(t));
});

test('a label that is not text (a lone surrogate) still makes a URI', () => {
  const t: RemoteTarget = { ...TAG, ref: DIGEST, label: 'linux/\ud800x' };
  same(parseRemoteUri(URI.parse(remoteUri(t)).toString()), { ...t, label: 'linux/\ufffdx' }, remoteUri(t));
});

test('URIs of the earliest form still open', () => {
  assert.deepEqual(parseRemoteUri('oci-image:/127.0.0.1:5055/samples/podman-22196/mixed.json'), { registry: '127.0.0.1:5055', repository: 'samples/podman-22196', ref: 'mixed', kind: 'manifest', raw: false });
  assert.deepEqual(parseRemoteUri(`oci-image:/127.0.0.1:5055/samples/app/${DIGEST}.json?kind=blob`), { registry: '127.0.0.1:5055', repository: 'samples/app', ref: DIGEST, kind: 'blob', raw: false });
  assert.deepEqual(parseRemoteUri(URI.parse(`oci-image:/127.0.0.1:5055/samples/app/${DIGEST}.json?kind=blob`).toString()), { registry: '127.0.0.1:5055', repository: 'samples/app', ref: DIGEST, kind: 'blob', raw: false });
  assert.equal(parseRemoteUri('oci-image:/nothing.json'), undefined);
  assert.equal(parseRemoteUri('oci-image:/h/r/x.json?nonsense~a~b~c~d'), undefined);
  assert.equal(parseRemoteUri('oci-image:/h/r/x%E0.json'), undefined);
  assert.equal(parseRemoteUri('file:///x.json'), undefined);
});

test('a payload URI names its layer: two layers of one attached manifest are two documents, and a payload URI without its layer does not parse', () => {
  const a = remoteUri({ ...TAG, ref: DIGEST, kind: 'payload', layer: 0 });
  const b = remoteUri({ ...TAG, ref: DIGEST, kind: 'payload', layer: 1 });
  assert.notEqual(remoteKey(parseRemoteUri(URI.parse(a).toString())!), remoteKey(parseRemoteUri(URI.parse(b).toString())!));
  assert.equal(URI.parse(a).path.split('/').pop(), 'podman-22196@sha256:' + DIGEST.slice(7, 19) + '… (payload, layer 0).json', 'what the tab shows');
  assert.equal(parseRemoteUri(a.replace(/~0$/, '')), undefined);
  assert.equal(parseRemoteUri(a.replace(/~0$/, '~x')), undefined);
});
