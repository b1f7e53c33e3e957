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
interface Refs { host: string; podman22196: { index: Seeded; amd64: Seeded; arm64: Seeded }; cleanOci: { index: Seeded; amd64: Seeded } }

const RULE = 'mixed-config-media-type';
let registry: SampleRegistry;
let refs: Refs;
const wb = new Workbench({ name: 'explorer' });

/** The rows of the Registries view, as text. */
async function rows(): Promise<string[]> {
  return (await wb.page.locator('[id="workbench.view.extension.manifestLens"] .monaco-list-row').allInnerTexts()).map(plain);
}

/**
 * The rows whose label (not the description, which VS Code may cut) runs past the view's right
 * edge at its width, with their depth: the short label comes first and must be read whole.
 */
async function cutLabels(): Promise<{ label: string; level: number }[]> {
  return wb.page.locator('[id="workbench.view.extension.manifestLens"] .monaco-list-row').evaluateAll((els) => els.flatMap((row) => {
    const name = row.querySelector('.label-name');
    if (!name) return [];
    const cut = name.getBoundingClientRect().right > row.getBoundingClientRect().right - 2;
    return cut ? [{ label: (name as HTMLElement).innerText, level: Number(row.getAttribute('aria-level')) }] : [];
  }));
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
    // The registry comes from the auth file: not "added" (nor "inspected").
    const hostRow = await waitFor('the registry row', async () => (await rows()).find((r) => r.startsWith(refs.host)));
    assert.doesNotMatch(hostRow, /added|inspected/);
    // The referrers fallback tag (sha256-<hex of the amd64 child>) is not one of the tags: a note counts it.
    await click('samples/clean-oci');
    const tags = await waitFor('the tags of samples/clean-oci', async () => {
      const r = await rows();
      return r.some((t) => t.startsWith('amd64')) && r.some((t) => t.includes('referrer tag')) ? r : undefined;
    }, { timeoutMs: 45_000 });
    assert.ok(!tags.some((t) => t.startsWith('sha256-')), `no fallback tag among the tags:\n${tags.join('\n')}`);
    assert.ok(tags.some((t) => t.startsWith('1 referrer tag (sha256-…) not listed')), tags.join('\n'));
    await wb.shot('k-explorer-tags-without-fallback');
    await click('samples/clean-oci'); // collapsed again, to keep the view short
    await click('samples/podman-22196');
    await click('mixed');
    await waitFor('the platforms of the tag', async () => (await rows()).some((r) => r.includes('linux/amd64')), { timeoutMs: 60_000 });
    // The tag row, once expanded: the index's short digest and the problems of its level.
    const tagRow = await waitFor('the digest and problems on the tag row', async () => (await rows()).find((r) => r.startsWith('mixed') && /error/.test(r)));
    assert.ok(tagRow.includes(`${refs.podman22196.index.digest.slice(0, 19)}…`), tagRow);
    assert.match(tagRow, /^mixed\s*\d+ errors?/, 'the problems first: the narrow view cuts the end of a description');
    // Away from the tag row: its hover (the tag's HEAD) would cover the rows below it.
    await wb.page.mouse.move(900, 700);
    await waitFor('the tag\'s hover gone', async () => (await wb.page.locator('.monaco-hover, .context-view .monaco-hover-content').filter({ visible: true }).count()) === 0, { timeoutMs: 10_000 }).catch(() => wb.page.keyboard.press('Escape'));
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
      return r.some((t) => t.startsWith(RULE)) ? r : undefined;
    });
    assert.ok(after.some((t) => t.startsWith('config')), after.join('\n'));
    assert.ok(after.some((t) => t.startsWith('layers[0]')), after.join('\n'));
    // The problem row: its rule id first, whole, with the error icon; the message after it.
    const problem = wb.page.locator('[id="workbench.view.extension.manifestLens"] .monaco-list-row', { hasText: RULE }).first();
    assert.ok(await problem.locator('.codicon-error').count(), 'the problem row has the error icon');
    // Registry, repository, tag, platform and the problem's rule id are read whole at the view's
    // default width (was: "error mixed-config-media-t…"). Deeper, a rule id longer than about 25
    // characters may still lose its last letters (its tooltip and the opened document have it).
    const cut = await cutLabels();
    assert.deepEqual(cut.filter((c) => c.level <= 4 || c.label === RULE), [], JSON.stringify(cut));
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

  /** The text of both sides of the diff editor on screen (Monaco renders what is visible). */
  async function diffSides(): Promise<{ left: string; right: string }> {
    const side = (which: string) => wb.page.locator(`.editor-group-container.active .monaco-diff-editor .editor.${which} .view-lines`).first().innerText().then(plain);
    return { left: await side('original'), right: await side('modified') };
  }

  it('(m) Compare with…: the diff editor on the fetched index and a single manifest, the summary at the top of both sides', withFailureShot(wb, 'm', async () => {
    const page = wb.page;
    await wb.runCommand('Manifest Lens: Compare with…');
    const input = page.locator('.quick-input-widget input');
    await input.fill(refs.cleanOci.amd64.byDigest);
    await waitFor('the reference offered', async () => (await page.locator('.quick-input-widget .monaco-list-row.focused').allInnerTexts()).some((t) => plain(t).includes('Inspect')));
    await page.keyboard.press('Enter');
    await waitFor('the diff editor', () => page.locator('.editor-group-container.active .monaco-diff-editor').first().isVisible(), { timeoutMs: 60_000 });
    const media = 'media type: application/vnd.oci.image.index.v1+json → application/vnd.oci.image.manifest.v1+json';
    const sides = await waitFor('the summary at the top of the diff', async () => {
      const t = await diffSides();
      return t.left.includes(media) && t.right.includes(media) ? t : undefined;
    }, { timeoutMs: 30_000 });
    await wb.shot('m-compare');
    assert.match(sides.right.split('\n')[0], /^\/\/ Compare .+ ↔ .+: \d+ changes? /, sides.right);
    assert.ok(!sides.right.includes('; …'), 'the list is whole, not cut');
    // It stays: no notification to dismiss (nor one that vanishes with the summary).
    assert.deepEqual((await wb.notifications()).filter((t) => /change/.test(t)), []);
  }));

  it('(j) Compare with… on two indexes: a QuickPick of the platforms both list, then that platform\'s two manifests', withFailureShot(wb, 'n', async () => {
    const page = wb.page;
    await page.locator('.tab', { hasText: 'mixed.json' }).first().click();
    await wb.activeTab('mixed.json');
    await wb.runCommand('Manifest Lens: Compare with…');
    const input = page.locator('.quick-input-widget input');
    await input.fill(refs.cleanOci.index.reference);
    await waitFor('the reference offered', async () => (await page.locator('.quick-input-widget .monaco-list-row.focused').allInnerTexts()).some((t) => plain(t).includes('Inspect')));
    await page.keyboard.press('Enter');
    const platform = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'linux/amd64' }).first();
    await platform.waitFor({ state: 'visible', timeout: 60_000 });
    const offered = (await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts()).map(plain);
    assert.ok(offered[0].startsWith('The two indexes'), offered.join('\n'));
    await wb.shot('n-compare-platforms');
    await platform.click();
    // The two linux/amd64 manifests: the seed's Docker config against the clean OCI one.
    const sides = await waitFor('the two linux/amd64 manifests in the diff', async () => {
      const t = await diffSides();
      return /\(linux\/amd64\)/.test(t.right) && t.right.includes('config media type:') ? t : undefined;
    }, { timeoutMs: 60_000 });
    await wb.shot('n-compare-platform');
    assert.ok(sides.right.includes('config media type: application/vnd.docker.container.image.v1+json → application/vnd.oci.image.config.v1+json'), sides.right);
  }));
});
