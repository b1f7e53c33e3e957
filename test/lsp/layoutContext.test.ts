/**
 * The language server lints an open layout's index.json as one (issue 24): the untagged entry
 * skopeo leaves after re-tagging is info "not reachable by tag", not a platform warning.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from './lspClient';

let server: TestServer;
const root = mkdtempSync(join(tmpdir(), 'ml-lsp-layout-context-'));
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); rmSync(root, { recursive: true, force: true }); });

function put(dir: string, text: string): { digest: string; size: number } {
  const bytes = Buffer.from(text);
  const digest = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { digest, size: bytes.length };
}

test('an open layout index.json: layout-index-entry-untagged (info), no index-entry-platform-missing', async () => {
  const dir = join(root, 'retagged');
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const image = (n: number) => {
    const config = put(dir, JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n }));
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [] };
    return { mediaType: manifest.mediaType, ...put(dir, JSON.stringify(manifest)) };
  };
  const index = { schemaVersion: 2, manifests: [image(1), { ...image(2), annotations: { 'org.opencontainers.image.ref.name': 'a' } }] };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index, null, 2));
  const uri = pathToFileURL(join(dir, 'index.json')).href;
  const pending = server.diagnostics(uri, 1);
  server.open(uri, readFileSync(join(dir, 'index.json'), 'utf8'), 1);
  const diags = await pending;
  assert.deepEqual(diags.filter((d) => d.code === 'index-entry-platform-missing'), [], diags.map((d) => `${d.code}: ${d.message}`).join('\n'));
  const untagged = diags.filter((d) => d.code === 'layout-index-entry-untagged');
  assert.deepEqual(untagged.map((d) => d.severity), [3], diags.map((d) => `${d.code}: ${d.message}`).join('\n'));
});
