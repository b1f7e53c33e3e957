/**
 * Show Image Map against a hostile registry (attack review): an index whose platforms each have
 * a distinct image config of 4 MiB of history entries. The server reads each config for its
 * history lines; it must keep only those (one per layer), not every parsed config until the map
 * is built, or a handful of such configs take the server's heap (here capped at 128 MB) down.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ImageMapModel } from '../../common/imageMap';
import { startFakeRegistry, type FakeRegistry } from '../harness/fakeRegistry';
import { isolatedEnv, type IsolatedEnv } from '../harness/cli';
import { startServer, type TestServer } from './lspClient';

const PLATFORMS = 5;
let reg: FakeRegistry;
let server: TestServer;
let home: IsolatedEnv;

before(async () => {
  reg = await startFakeRegistry();
  const entries = [];
  for (let i = 0; i < PLATFORMS; i++) {
    // Just under 4 MiB: ~1.4 million history entries that are not objects (skipped), then the one that made the layer.
    const head = `{"architecture":"amd64","os":"linux","comment":"${i}","rootfs":{"type":"layers","diff_ids":["sha256:${'b'.repeat(64)}"]},"history":[`;
    const tail = `{"created_by":"RUN make ${i}"}]}`;
    const room = 4 * 1024 * 1024 - 64 - head.length - tail.length;
    const config = Buffer.from(head + '[],'.repeat(Math.floor(room / 3)) + tail);
    const digest = reg.putBlob(config);
    const layer = `sha256:${'c'.repeat(62)}${String(i).padStart(2, '0')}`;
    const m = reg.putManifest('big', undefined, {
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: 1000 + i }],
    });
    entries.push({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform: { os: 'linux', architecture: `arch${i}` } });
  }
  reg.putManifest('big', 'v1', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries }, 'application/vnd.oci.image.index.v1+json');
  home = isolatedEnv();
  server = await startServer({}, { env: home.env, nodeArgs: ['--max-old-space-size=128'] });
});
after(async () => {
  await server?.stop();
  await reg?.close();
  home?.cleanup();
});

test('five 4 MiB configs of history: the map is built in a 128 MB heap, each layer with the line that made it', async () => {
  const exited = new Promise<never>((_, reject) => server.process.once('exit', (code, signal) => reject(new Error(`the server died (${code ?? signal})`))));
  const m: ImageMapModel = await Promise.race([server.connection.sendRequest<ImageMapModel>('manifestLens/imageMap', { reference: `${reg.host}/big:v1` }), exited]);
  assert.equal(m.platformCount, PLATFORMS);
  const lines = m.root.cards.map((c) => c.layers[0]?.history);
  assert.deepEqual(lines, Array.from({ length: PLATFORMS }, (_, i) => `RUN make ${i}`));
  assert.equal(server.process.exitCode, null, 'the server is alive');
});

test('an index of 300 platforms: configs past the 256 a map fetches are said to be left out, not silently missing', async () => {
  const entries = [];
  for (let i = 0; i < 300; i++) {
    const config = reg.putBlob(Buffer.from(`{"architecture":"a${i}","os":"linux","history":[{"created_by":"RUN ${i}"}]}`));
    const m = reg.putManifest('many', undefined, { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 60 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${i.toString(16).padStart(64, 'd')}`, size: 100 }] });
    entries.push({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform: { os: 'linux', architecture: `a${i}` } });
  }
  reg.putManifest('many', 'v1', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries }, 'application/vnd.oci.image.index.v1+json');
  const m: ImageMapModel = await server.connection.sendRequest('manifestLens/imageMap', { reference: `${reg.host}/many:v1` });
  assert.equal(m.platformCount, 300);
  assert.equal(m.root.cards.filter((c) => c.layers[0]?.history).length, 256);
  assert.match(m.leftOut ?? '', /44 image configs and referrer manifests not fetched \(at most 256 per map\)/);
});
