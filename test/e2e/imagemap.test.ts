/**
 * End to end, in a real VS Code (code-server + Chromium): Show Image Map (issue 22) draws the
 * seed's podman#22196 index as a card per platform with the problem markers deep inspection
 * found, reachable with the keyboard (Tab moves focus, Enter opens the platform's manifest
 * read-only), and compared with the other platform's manifest the two maps show side by side with
 * their layers marked removed and added; the hostile-text index's annotation and history line carrying `<script>` show as
 * text (no element made of them, nothing run), its layers are drawn to scale and the layers two
 * platforms share have one colour; its attestation, SBOM and signature are badges on the nodes
 * they describe, and a click on one opens it.
 *
 * The webview lives in nested iframes: the frame that holds the map is found among page.frames().
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { plain, sampleRegistry, waitFor, withFailureShot, Workbench, type SampleRegistry } from './workbench';

interface Seeded { reference: string; byDigest: string; digest: string }
interface Refs { host: string; podman22196: { index: Seeded; amd64: Seeded; arm64: Seeded }; hostileText: { index: Seeded; amd64: Seeded; arm64: Seeded; attestation: Seeded; sbom: Seeded; signature: Seeded } }

/** test/harness/seed.ts's HOSTILE_TEXT (the E2E project does not compile the harness's registry code). */
const HOSTILE_TEXT = '<script>document.title="pwned"</script><img src=x onerror="document.title=1">';

let registry: SampleRegistry;
let refs: Refs;
const wb = new Workbench({ name: 'imagemap' });

/** The webview frame drawing the map of `reference` (its header names it). */
async function mapFrame(reference: string): Promise<Frame> {
  return waitFor(`the Image Map of ${reference}`, async () => {
    for (const f of wb.page.frames()) {
      const title = await f.locator('#map h1.reference').first().textContent({ timeout: 200 }).catch(() => null);
      if (title === reference && (await f.locator('#map .card').count()) > 0) return f;
    }
    return undefined;
  }, { timeoutMs: 90_000, intervalMs: 300 });
}

async function showMap(reference: string): Promise<Frame> {
  await wb.runCommand('Manifest Lens: Show Image Map');
  const input = wb.page.locator('.quick-input-widget input');
  await input.fill(reference);
  await waitFor('the reference offered', async () => (await wb.page.locator('.quick-input-widget .monaco-list-row.focused').allInnerTexts()).some((t) => plain(t).includes(reference)));
  await wb.page.keyboard.press('Enter');
  return mapFrame(reference);
}

describe('Manifest Lens in VS Code (code-server): the Image Map webview', { timeout: 300_000 }, () => {
  before(async () => {
    registry = await sampleRegistry(wb.root);
    refs = registry.refs as Refs;
    await wb.start();
  }, { timeout: 180_000 });
  after(async () => {
    await wb.stop();
    await registry?.stop();
  });

  it('(u) Show Image Map on the seed index: a card per platform with its problem marker; Tab moves focus, Enter opens the platform manifest; compared, two maps side by side', withFailureShot(wb, 'u', async () => {
    const frame = await showMap(refs.podman22196.index.reference);
    await wb.shot('u-image-map');
    const cards = frame.locator('#map .card');
    assert.deepEqual(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-platform'))), ['linux/amd64', 'linux/arm64/v8']);
    assert.equal(await frame.locator('#map .map-header .digest').textContent(), refs.podman22196.index.digest);
    // Deep inspection finds the Docker config under each OCI manifest: a marker on each card, with the rule in its hover.
    for (const i of [0, 1]) {
      const marker = cards.nth(i).locator('.card-head [data-problems]');
      assert.ok(Number(await marker.getAttribute('data-problems')) >= 1);
      assert.match((await marker.getAttribute('title')) ?? '', /mixed-config-media-type/);
    }
    assert.match((await cards.first().getAttribute('aria-label')) ?? '', /^linux\/amd64, 1 layer, [\d.]+ (B|KiB), \d+ problems?$/);
    // Sizes as attributes: a card's total is its config's and layers' sizes.
    const total = Number(await cards.first().getAttribute('data-total-size'));
    const layerSize = Number(await cards.first().locator('.layer').first().getAttribute('data-size'));
    assert.ok(total > layerSize && layerSize > 0, `${total} > ${layerSize}`);

    // Keyboard: from the header, Tab moves focus from element to element until it reaches the first card.
    await frame.locator('#map h1.reference').click();
    const focused = (): Promise<string> => frame.evaluate(() => {
      const e = document.activeElement as HTMLElement | null;
      return e ? `${e.className}|${e.getAttribute('data-platform') ?? ''}|${e.getAttribute('data-digest') ?? ''}` : '';
    });
    const seen: string[] = [];
    for (let i = 0; i < 8 && !seen.some((s) => s.startsWith('card|linux/amd64')); i++) {
      await wb.page.keyboard.press('Tab');
      const now = await waitFor('focus to move', async () => {
        const f = await focused();
        return f && f !== seen[seen.length - 1] ? f : undefined;
      }, { timeoutMs: 5_000 });
      seen.push(now);
    }
    assert.equal(seen[0].split('|')[0], 'digest', seen.join('\n'));
    assert.ok(seen.some((s) => s.startsWith('card|linux/amd64|')), `Tab reaches the amd64 card: ${seen.join('\n')}`);
    await wb.page.keyboard.press('Enter');
    await wb.activeTab(`podman-22196@${refs.podman22196.amd64.digest.slice(0, 19)}…`, 30_000);
    await wb.shot('u-enter-opened-manifest');

    // Compare with… the arm64 manifest, then Show as Image Maps: the two side by side, what changed in words above them.
    await wb.runCommand('Manifest Lens: Compare with…');
    const input = wb.page.locator('.quick-input-widget input');
    await input.fill(refs.podman22196.arm64.byDigest);
    await waitFor('the reference offered', async () => (await wb.page.locator('.quick-input-widget .monaco-list-row.focused').allInnerTexts()).some((t) => plain(t).includes('Inspect')));
    await wb.page.keyboard.press('Enter');
    await waitFor('the diff editor', () => wb.page.locator('.editor-group-container.active .monaco-diff-editor').first().isVisible(), { timeoutMs: 60_000 });
    await wb.runCommand('Manifest Lens: Show as Image Maps');
    const pair = await waitFor('the two maps side by side', async () => {
      for (const f of wb.page.frames()) if ((await f.locator('#map .pair .map').count().catch(() => 0)) === 2) return f;
      return undefined;
    }, { timeoutMs: 60_000, intervalMs: 300 });
    await wb.shot('u-compare-maps');
    const words = await pair.locator('#map .compare-summary li').allTextContents();
    assert.match(words[0] ?? '', /↔.*: \d+ changes?/, words.join('\n'));
    const marks = (side: number): Promise<(string | null)[][]> => pair.locator('#map .pair .map').nth(side).locator('.layer').evaluateAll((els) => els.map((e) => [e.getAttribute('data-digest'), e.getAttribute('data-change')]));
    // Each platform's one layer is its own: removed on the left, added on the right.
    const [left, right] = [await marks(0), await marks(1)];
    assert.deepEqual([left.map((m) => m[1]), right.map((m) => m[1])], [['removed'], ['added']]);
    assert.notEqual(left[0][0], right[0][0]);
    assert.deepEqual(await pair.locator('#map .pair .card').evaluateAll((els) => els.map((e) => [e.getAttribute('data-platform'), e.getAttribute('data-change')])), [['linux/amd64', 'removed'], ['linux/arm64/v8', 'added']]);
  }));

  it('(v) registry text carrying <script> shows as text; layers drawn to scale; shared layers one colour', withFailureShot(wb, 'v', async () => {
    // The map alone in the editor area (the README's picture), the pointer off any hover.
    await wb.runCommand('View: Close All Editors');
    const frame = await showMap(refs.hostileText.index.reference);
    await wb.page.mouse.move(5, 880);
    await wb.shot('v-image-map');
    // The annotation is the text as served, in a <dd>; no element came of it, no script ran.
    const values = await frame.locator('#map .map-header .annotations dd').allTextContents();
    assert.deepEqual(values, [HOSTILE_TEXT]);
    assert.equal(await frame.locator('#map script, #map img').count(), 0);
    assert.notEqual(await frame.evaluate(() => document.title), 'pwned');
    assert.notEqual(await frame.evaluate(() => document.title), '1');
    const top = frame.locator('#map .card').first().locator('.layer').nth(2);
    assert.ok(((await top.getAttribute('title')) ?? '').includes(`RUN echo ${HOSTILE_TEXT}`), 'the history line, as text, in the hover');

    // Widths to scale: each layer's share of its bar is its share of the sizes (within a pixel or two).
    const bars = await frame.locator('#map .card').evaluateAll((cards) => cards.map((c) => ({
      platform: c.getAttribute('data-platform'),
      bar: (c.querySelector('.bar') as HTMLElement).getBoundingClientRect().width,
      layers: [...c.querySelectorAll('.layer')].map((l) => ({ digest: l.getAttribute('data-digest')!, size: Number(l.getAttribute('data-size')), width: l.getBoundingClientRect().width, colour: getComputedStyle(l).backgroundColor })),
    })));
    assert.deepEqual(bars.map((b) => b.platform), ['linux/amd64', 'linux/arm64/v8']);
    for (const b of bars) {
      const sum = b.layers.reduce((a, l) => a + l.size, 0);
      assert.equal(b.layers.length, 3);
      for (const l of b.layers) assert.ok(Math.abs(l.width - (b.bar * l.size) / sum) <= 2, `${b.platform} ${l.digest}: ${l.width}px of ${b.bar}px for ${l.size} of ${sum} bytes`);
    }
    // The larger platform's bar is the longer one: one scale for all cards.
    assert.ok(bars[0].bar > bars[1].bar, `${bars[0].bar} > ${bars[1].bar}`);
    // The two lower layers are the same blobs on both platforms: the same colour; the top ones differ.
    for (const i of [0, 1]) {
      assert.equal(bars[0].layers[i].digest, bars[1].layers[i].digest);
      assert.equal(bars[0].layers[i].colour, bars[1].layers[i].colour);
    }
    assert.notEqual(bars[0].layers[2].digest, bars[1].layers[2].digest);

    // Signed and attested: each badge on the node it describes; clicking one opens that manifest read-only.
    const kinds = (where: string, attr: string): Promise<(string | null)[]> => frame.locator(where).evaluateAll((els, a) => els.map((e) => e.getAttribute(a)), attr);
    assert.deepEqual(await kinds('#map .card[data-platform="linux/amd64"] .badge', 'data-kind'), ['buildx-attestation-manifest']);
    assert.deepEqual(await kinds('#map .card[data-platform="linux/arm64/v8"] .badge', 'data-artifact-type'), ['application/spdx+json']);
    assert.deepEqual(await kinds('#map .map-header .badge', 'data-kind'), ['cosign-signature']);
    await frame.locator('#map .card[data-platform="linux/arm64/v8"] .badge').click();
    await wb.activeTab(`hostile-text@${refs.hostileText.sbom.digest.slice(0, 19)}…`, 30_000);
  }));
});
