/**
 * End to end, in a real VS Code (code-server + Chromium): the registry explorer walks registry →
 * repository → tag → platform and shows the podman#22196 child's problem on its node; the seed's
 * index, inspected, gets its children's problems on its entries (deep inspection); "Compare
 * with…" opens the diff editor on two manifests with the summary.
 *
 * The sample registry is named in the DOCKER_CONFIG the extension host reads (as a logged-in
 * registry would be), so the explorer lists it without being told.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { plain, sampleRegistry, waitFor, withFailureShot, Workbench, type SampleRegistry } from './workbench';

interface Seeded { reference: string; byDigest: string; digest: string }
interface Refs { host: string; podman22196: { index: Seeded; amd64: Seeded; arm64: Seeded }; cleanOci: { amd64: Seeded } }

const RULE = 'mixed-config-media-type';
let registry: SampleRegistry;
let refs: Refs;
const wb = new Workbench({ name: 'explorer' });

/** The rows of the Registries view, as text. */
async function rows(): Promise<string[]> {
  return (await wb.page.locator('[id="workbench.view.extension.manifestLens"] .monaco-list-row').allInnerTexts()).map(plain);
}

/** Clicks the row whose first line is `label` (expanding it, or opening what it stands for). */
async function click(label: string): Promise<void> {
  const row = wb.page.locator('[id="workbench.view.extension.manifestLens"] .monaco-list-row').filter({ has: wb.page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) }) }).first();
  await waitFor(`the "${label}" row`, () => row.isVisible(), { timeoutMs: 45_000 });
  await row.click();
}

describe('Manifest Lens in VS Code (code-server): registry explorer, deep inspection, compare', { timeout: 300_000 }, () => {
  before(async () => {
    registry = await sampleRegistry(wb.root);
    refs = registry.refs as Refs;
    const docker = join(wb.root, 'docker');
    mkdirSync(docker, { recursive: true });
    writeFileSync(join(docker, 'config.json'), JSON.stringify({ auths: { [refs.host]: {} } }));
    wb.env.DOCKER_CONFIG = docker;
    await wb.start();
  }, { timeout: 180_000 });
  after(async () => {
    await wb.stop();
    await registry?.stop();
  });

  it('(k) explorer: registry → repository → tag → linux/amd64, whose problem shows on the node', withFailureShot(wb, 'k', async () => {
    await wb.runCommand('View: Show Manifest Lens');
    await click(refs.host);
    await click('samples/podman-22196');
    await click('mixed');
    await waitFor('the platforms of the tag', async () => (await rows()).some((r) => r.includes('linux/amd64')), { timeoutMs: 60_000 });
    const amd = wb.page.locator('[id="workbench.view.extension.manifestLens"] .monaco-list-row', { hasText: 'linux/amd64' }).first();
    await waitFor('the error icon on linux/amd64', () => amd.locator('.codicon-error').count());
    await wb.shot('k-explorer-platform-with-error');
    const text = plain(await amd.innerText());
    assert.ok(text.includes(refs.podman22196.amd64.digest.slice(0, 19)), `the node shows the child's digest: ${text}`);
    assert.match(text, /1 layer, \d+ B total/);
    // A click opens the child read-only, as Inspect does; the twistie expands it: the problem by
    // rule id, then config and layers.
    await amd.click();
    // Titled like Inspect's tabs: the repository, a short digest (the full one is in the URI's query).
    await wb.activeTab(`podman-22196@${refs.podman22196.amd64.digest.slice(0, 19)}…`, 30_000);
    await amd.locator('.monaco-tl-twistie').click();
    const after = await waitFor('the problem under the node', async () => {
      const r = await rows();
      return r.some((t) => t.includes(`error ${RULE}`)) ? r : undefined;
    });
    assert.ok(after.some((t) => t.startsWith('config')), after.join('\n'));
    assert.ok(after.some((t) => t.startsWith('layers[0]')), after.join('\n'));
    await wb.shot('k-explorer-expanded');
  }));

  it('(l) deep inspection: the inspected seed index carries its children\'s errors on its entries', withFailureShot(wb, 'l', async () => {
    const page = wb.page;
    await wb.runCommand('Manifest Lens: Inspect Remote Image');
    const input = page.locator('.quick-input-widget input');
    await input.fill(refs.podman22196.index.reference);
    await waitFor('the reference offered', async () => (await page.locator('.quick-input-widget .monaco-list-row.focused').allInnerTexts()).some((t) => plain(t).includes('Inspect')));
    await page.keyboard.press('Enter');
    await wb.activeTab('mixed.json', 30_000);
    const problems = await waitFor(`${RULE} on the index in Problems`, async () => {
      const r = await wb.problems();
      return r.filter((t) => t.includes(RULE) && t.includes('linux/amd64')).length > 0 ? r : undefined;
    }, { timeoutMs: 60_000 });
    await waitFor('an error squiggle in the index', () => page.locator('.editor-group-container.active .monaco-editor .squiggly-error').count());
    await wb.shot('l-index-marked');
    // The problem first, the entry last (issue 24); the child's digest is a related-information link.
    assert.ok(problems.some((t) => t.startsWith('Error:') && t.includes('OCI manifest with a Docker config media type') && t.includes('(linux/amd64)')), problems.join('\n'));
  }));

  it('(m) Compare with…: the diff editor on the fetched index and a single manifest, with the summary', withFailureShot(wb, 'm', async () => {
    const page = wb.page;
    await wb.runCommand('Manifest Lens: Compare with…');
    const input = page.locator('.quick-input-widget input');
    await input.fill(refs.cleanOci.amd64.byDigest);
    await waitFor('the reference offered', async () => (await page.locator('.quick-input-widget .monaco-list-row.focused').allInnerTexts()).some((t) => plain(t).includes('Inspect')));
    await page.keyboard.press('Enter');
    await waitFor('the diff editor', () => page.locator('.editor-group-container.active .monaco-diff-editor').first().isVisible(), { timeoutMs: 60_000 });
    const toast = await waitFor('the summary notification', async () => (await wb.notifications()).find((t) => /change/.test(t)), { timeoutMs: 30_000 });
    await wb.shot('m-compare');
    assert.match(toast, /\d+ changes?:/);
    assert.ok(toast.includes('media type: application/vnd.oci.image.index.v1+json → application/vnd.oci.image.manifest.v1+json'), toast);
  }));
});
