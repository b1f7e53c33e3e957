/**
 * RemoteService.checkTag against registries that make it hard: a signed schema 1 manifest, whose
 * Docker-Content-Digest covers the payload and not the served bytes (an unchanged tag must not
 * look moved), and a HEAD that sends no Docker-Content-Digest (one GET then decides).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRegistryClient } from '../../server/src/registry/client';
import { MANIFEST_ACCEPT_TYPES } from '../../server/src/engine/mediaTypes';
import { RemoteService } from '../../server/src/lsp/remote';
import { sha256, signedSchema1, startFakeRegistry, type FakeRegistry } from '../registry/fakeRegistry';

const { signed, payload } = signedSchema1();

let reg: FakeRegistry;
let service: RemoteService;
const abort = new AbortController();

before(async () => {
  reg = await startFakeRegistry({
    intercept: (_req, res, rec) => {
      if (rec.path === '/v2/app/manifests/old') {
        res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'docker-content-digest': sha256(payload), 'content-length': String(Buffer.byteLength(signed)) });
        res.end(rec.method === 'HEAD' ? undefined : signed);
        return true;
      }
      if (rec.path === '/v2/app/manifests/quiet' && rec.method === 'HEAD') {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        res.end();
        return true;
      }
      return false;
    },
  });
  reg.putManifest('app', 'quiet', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('{}'), size: 2 }, layers: [] }), 'application/vnd.oci.image.manifest.v1+json');
  const client = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 5000 });
  service = new RemoteService(() => client, () => undefined);
});
after(async () => reg?.close());

test('a signed schema 1 manifest: shown and checked under the payload digest, so an unchanged tag has not moved', async () => {
  const doc = await service.inspect(`${reg.hostPort}/app:old`, abort.signal);
  assert.equal(doc.digest, sha256(payload), 'the digest registries and tools name it by');
  const check = await service.checkTag(doc.uri, abort.signal);
  assert.deepEqual({ moved: check.moved, current: check.current, via: check.via }, { moved: false, current: sha256(payload), via: 'head' });
});

test('no Docker-Content-Digest on HEAD: one GET decides', async () => {
  const doc = await service.inspect(`${reg.hostPort}/app:quiet`, abort.signal);
  const check = await service.checkTag(doc.uri, abort.signal);
  assert.equal(check.moved, false);
  assert.equal(check.via, 'get');
  assert.equal(check.current, doc.digest);
});
