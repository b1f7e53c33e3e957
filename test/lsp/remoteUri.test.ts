/** URIs of fetched documents (lsp/remoteUri.ts): short titles for the tabs, full references back. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRemoteUri, remoteKey, remoteTitle, remoteUri, withRaw, type RemoteTarget } from '../../server/src/lsp/remoteUri';

const DIGEST = 'sha256:68ff12345678' + 'ab'.repeat(26);

function title(uri: string): string {
  return decodeURIComponent(uri.split('?')[0].split('/').pop()!).replace(/\.json$/, '');
}

test('tab titles read like references: cirros:6.1, cirros@sha256:68ff12345678… (linux/arm64)', () => {
  const tag: RemoteTarget = { registry: '127.0.0.1:5000', repository: 'boukhano/cirros', ref: '6.1', kind: 'manifest', raw: false };
  assert.equal(title(remoteUri(tag)), 'cirros:6.1');
  const child: RemoteTarget = { ...tag, ref: DIGEST, label: 'linux/arm64' };
  assert.equal(remoteTitle(child), 'cirros@sha256:68ff12345678… (linux/arm64)');
  assert.equal(title(remoteUri(child)), 'cirros@sha256:68ff12345678… (linux\u2215arm64)');
  assert.equal(title(remoteUri({ ...tag, ref: DIGEST, kind: 'blob' })), 'cirros@sha256:68ff12345678… (config)');
  assert.equal(title(remoteUri({ ...tag, raw: true })), 'cirros:6.1 (raw)');
});

test('every URI parses back to the full reference; the title does not change which document it is', () => {
  const cases: RemoteTarget[] = [
    { registry: '127.0.0.1:5000', repository: 'boukhano/cirros', ref: '6.1', kind: 'manifest', raw: false },
    { registry: 'docker.io', repository: 'library/alpine', ref: DIGEST, kind: 'manifest', raw: true, label: 'linux/arm64/v8' },
    { registry: 'ghcr.io', repository: 'a/b/c', ref: DIGEST, kind: 'referrers', raw: false },
    { registry: 'localhost:5000', repository: 'app', ref: 'v1.2-rc_3', kind: 'manifest', raw: false },
    { registry: 'localhost:5000', repository: 'app', ref: DIGEST, kind: 'blob', raw: false },
  ];
  for (const t of cases) {
    const back = parseRemoteUri(remoteUri(t));
    assert.deepEqual(back, t, remoteUri(t));
    assert.equal(remoteKey(back!), remoteKey({ ...t, label: undefined, raw: !t.raw }));
    assert.deepEqual(parseRemoteUri(withRaw(remoteUri(t), !t.raw)!), { ...t, raw: !t.raw });
  }
});

test('URIs of the earlier form still open', () => {
  assert.deepEqual(parseRemoteUri('oci-image:/127.0.0.1:5055/samples/podman-22196/mixed.json'), { registry: '127.0.0.1:5055', repository: 'samples/podman-22196', ref: 'mixed', kind: 'manifest', raw: false });
  assert.deepEqual(parseRemoteUri(`oci-image:/127.0.0.1:5055/samples/app/${DIGEST}.json?kind=blob`), { registry: '127.0.0.1:5055', repository: 'samples/app', ref: DIGEST, kind: 'blob', raw: false });
  assert.equal(parseRemoteUri('oci-image:/nothing.json'), undefined);
  assert.equal(parseRemoteUri('file:///x.json'), undefined);
});
