/**
 * End to end, in a real VS Code (code-server + Chromium): Repair in registry… on the seed's
 * fetched podman#22196 index (issue 19). Ctrl+. on the index offers the repair; the diff editor
 * shows the current and the repaired index; the new tag is prefilled (`mixed-oci`); a modal names
 * what will be written; after Push the repaired index opens, fetched again from the registry, and
 * has no problems (its children linted by deep inspection too).
 *
 * scripts/run-e2e.mjs starts the sample registry and passes its references in
 * MANIFEST_LENS_E2E_REFS; run alone, this file starts scripts/sample-registry.mjs itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { plain, sampleRegistry, waitFor, withFailureShot, Workbench, type SampleRegistry } from './workbench';

interface Seeded { reference: string; digest: string }
interface Refs { podman22196: { index: Seeded } }

const RULE = 'mixed-config-media-type';
let registry: SampleRegistry;
let refs: Refs;
const wb = new Workbench({ name: 'repair' });

/** The CodeLens titles shown in the active editor. */
async function codeLenses(): Promise<string[]> {
  return (await wb.page.locator('.editor-group-container.active .monaco-editor .codelens-decoration a, .editor-group-container.active .monaco-editor .codelens-decoration span').allInnerTexts()).map(plain);
}

describe('Manifest Lens in VS Code (code-server): Repair in registry…', { timeout: 240_000 }, () => {
  before(async () => {
    await wb.start();
    registry = await sampleRegistry(wb.root);
    refs = registry.refs as Refs;
  }, { timeout: 150_000 });
  after(async () => {
    await wb.stop();
    await registry?.stop();
  });

  it('(x) Repair in registry… from the light bulb of a problem of the fetched index: diff, new tag, modal, and the repaired index opens clean; Edit a Copy, then Push Manifest…', withFailureShot(wb, 'x', async () => {
    const page = wb.page;
    const { index } = refs.podman22196;
    const repaired = index.reference.replace(/:mixed$/, ':mixed-oci');
    await wb.runCommand('Manifest Lens: Inspect Remote Image');
    const input = page.locator('.quick-input-widget input');
    await waitFor('the reference input box', async () => (await input.getAttribute('placeholder'))?.includes('registry/repository'));
    await input.fill(index.reference);
    await waitFor(`"${index.reference}" offered for inspection`, async () => {
      const rows = (await page.locator('.quick-input-widget .monaco-list-row.focused').allInnerTexts()).map(plain);
      return rows.length === 1 && rows[0].includes(index.reference) && rows[0].includes('Inspect');
    });
    await page.keyboard.press('Enter');
    await wb.activeTab('podman-22196:mixed.json', 30_000);
    // Deep inspection shows the children's Docker config on the index's entries.
    await waitFor(`${RULE} on the index's entries`, async () => {
      const rows = await wb.problems();
      return rows.some((t) => t.includes('podman-22196:mixed.json')) && rows.some((t) => t.includes(RULE));
    }, { timeoutMs: 60_000 });

    // The same is a CodeLens of the index, above its first field.
    await waitFor('the "Repair in registry…" CodeLens', async () => (await codeLenses()).some((l) => l.includes('Repair in registry… (to OCI)')), { timeoutMs: 30_000 });
    // The repair is a code action of the problem: VS Code has no Ctrl+. in a read-only editor,
    // so it is the light bulb (Ctrl+.) of the problem's row in the Problems panel.
    const problemRow = page.locator('.markers-panel .monaco-list-row', { hasText: RULE }).first();
    const action = page.locator('.monaco-menu .action-item, .action-widget .monaco-list-row').filter({ hasText: 'Repair in registry…' }).first();
    await waitFor('"Repair in registry…" among the problem\'s quick fixes', async () => {
      await problemRow.click();
      await page.keyboard.press('Control+.');
      const shown = await action.waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false);
      if (!shown) await page.keyboard.press('Escape');
      return shown;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    await wb.shot('x-repair-action');
    await action.click();
    await wb.activeTab('current ↔ repaired', 30_000);

    // The diff editor: the current index against the repaired one.
    const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Push under a new tag' }).first();
    await pick.waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok(plain(await pick.innerText()).includes(':mixed-oci'), 'the new tag is TAG-oci');
    const diffText = plain(await page.locator('.monaco-diff-editor').first().innerText());
    assert.ok(diffText.includes('application/vnd.oci.image.index.v1+json'), 'the diff shows the index');
    await wb.shot('x-repair-diff');
    await pick.click();

    // The tag, prefilled.
    const tagInput = page.locator('.quick-input-widget input');
    await waitFor('the tag prefilled', async () => (await tagInput.inputValue()) === 'mixed-oci');
    await page.keyboard.press('Enter');

    // The modal names what will be written.
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 20_000 });
    const said = plain(await dialog.innerText());
    assert.match(said, /Push 2 manifests by digest, then tag :mixed-oci\?/);
    assert.ok(said.includes(`the top manifest: ${index.digest.slice(0, 19)}… → sha256:`), `the modal names the index's current digest:\n${said}`);
    assert.match(said, new RegExp(`Result: ${repaired.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}`));
    assert.match(said, /:mixed does not change/);
    await wb.shot('x-repair-modal');
    await dialog.locator('.monaco-button', { hasText: /^Push$/ }).first().click();

    // The repaired index opens, fetched again from the registry, and has no problems.
    await wb.activeTab('podman-22196:mixed-oci.json', 60_000);
    await waitFor('deep inspection of the repaired index', async () => (await codeLenses()).some((l) => /^2 entries · /.test(l.trim())), { timeoutMs: 60_000 });
    const rows = await wb.problems();
    assert.ok(!rows.some((t) => t.includes('mixed-oci.json')), `no problems for the repaired index:\n${rows.join('\n')}`);
    assert.ok(rows.some((t) => t.includes('podman-22196:mixed.json')), 'the original still has its problems (it was not changed)');
    const notes = await waitFor('the "Repaired:" message', async () => (await wb.notifications()).find((t) => t.includes('Repaired:')), { timeoutMs: 20_000 });
    assert.ok(notes.includes(repaired.replace(/^.*?\//, '')), notes);
    await wb.shot('x-repaired-clean');

    // Edit a Copy: an editable untitled copy; Push Manifest… prefills its origin, names what moves, pushes its text.
    await wb.runCommand('Manifest Lens: Edit a Copy');
    await wb.activeTab('Untitled', 20_000);
    await waitFor('the copy\'s text', async () => (await wb.editorText()).includes('application/vnd.oci.image.index.v1+json'));
    await wb.runCommand('Manifest Lens: Push Manifest…');
    const target = page.locator('.quick-input-widget input');
    await waitFor('the target prefilled with the copy\'s origin', async () => (await target.inputValue()) === repaired);
    await target.fill(`${repaired}-copy`);
    await page.keyboard.press('Enter');
    const pushDialog = page.locator('.monaco-dialog-box');
    await waitFor('the push modal', async () => /and tag :mixed-oci-copy\?/.test(plain(await pushDialog.innerText().catch(() => ''))), { timeoutMs: 20_000 });
    await pushDialog.locator('.monaco-button', { hasText: /^Push$/ }).first().click();
    await wb.activeTab('podman-22196:mixed-oci-copy.json', 60_000);
    await waitFor('the pushed copy, fetched from the registry', async () => (await codeLenses()).some((l) => l.includes('verified')), { timeoutMs: 30_000 });
    await wb.shot('x-pushed-copy');
  }));
});
