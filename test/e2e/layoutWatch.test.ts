/**
 * End to end, in a real VS Code (code-server + Chromium): an OCI image layout in the workspace
 * is watched. index.json is opened; a layer blob is truncated on disk by another program: the
 * manifest blob that points at it (not open) gets its findings in the Problems panel, without
 * reopening anything; the blob restored, they go. (Issue 24 item 2: before, the panel kept the
 * old state until the manifest blob was reopened.)
 * Run: node scripts/run-e2e.mjs test/e2e/layoutWatch.test.ts
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor, withFailureShot, Workbench } from './workbench';

const wb = new Workbench({ name: 'layout-watch' });

const sha256 = (b: Uint8Array): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

describe('Manifest Lens in VS Code (code-server): an OCI layout that changes on disk', { timeout: 240_000 }, () => {
  before(() => wb.start(), { timeout: 120_000 });
  after(() => wb.stop());

  it('(w) an OCI layout in the workspace is watched: a truncated layer shows on its manifest in Problems within seconds, and clears when restored', withFailureShot(wb, 'watch', async () => {
    const dir = join(wb.workspace, 'layout');
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    const put = (bytes: Buffer): { digest: string; file: string; bytes: Buffer } => {
      const digest = sha256(bytes);
      const file = join(dir, 'blobs', 'sha256', digest.slice(7));
      writeFileSync(file, bytes);
      return { digest, file, bytes };
    };
    const layer = put(Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(64 * 1024)]));
    const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(Buffer.from('x'))] } })));
    const manifest = put(Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.bytes.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.bytes.length }],
    }, null, 2)));
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifest.digest, size: manifest.bytes.length, platform: { architecture: 'amd64', os: 'linux' } }] }, null, 2));
    const manifestName = manifest.digest.slice(7);
    const layerProblems = async (): Promise<string[]> => (await wb.problems()).filter((r) => /layout-blob-(size|digest)-mismatch/.test(r));

    // Quick Open: the layout's index.json is the row whose label is index.json (its folder is the description).
    await wb.page.keyboard.press('Control+P');
    const input = wb.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill('layout/index.json');
    // The only match, and the first row (Enter opens the first row when none has the focus class yet).
    await waitFor('Quick Open to list the layout\'s index.json alone', async () => {
      const rows = await wb.page.locator('.quick-input-widget .monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? (e as HTMLElement).innerText));
      return rows.length === 1 && /index\.json/.test(rows[0]) && /layout/.test(rows[0]);
    });
    await wb.page.keyboard.press('Enter');
    await wb.activeTab('index.json');
    await wb.shot('opened');
    // Give the server its walk: the layer is hashed and found good; nothing about it in Problems.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(await layerProblems(), []);

    writeFileSync(layer.file, layer.bytes.subarray(0, 32));
    const rows = await waitFor('the truncated layer in the Problems panel', async () => {
      const r = await layerProblems();
      return r.length >= 2 ? r : undefined;
    }, { timeoutMs: 20_000 });
    await wb.shot('truncated');
    assert.ok((await wb.problems()).some((r) => r.includes(manifestName.slice(0, 12))), 'the manifest blob is the file with the problems');
    assert.ok(rows.some((r) => r.includes(layer.digest)), rows.join('\n'));

    writeFileSync(layer.file, layer.bytes);
    await waitFor('the layer problems to clear', async () => (await layerProblems()).length === 0 || undefined, { timeoutMs: 20_000 });
    await wb.shot('restored');
  }));
});
