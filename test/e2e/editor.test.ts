/**
 * End to end, in a real VS Code (code-server + Chromium): the seed's mixed manifest as a person
 * meets it. Squiggle on exactly the config mediaType value, the error in the Problems panel, the
 * hover, the quick-fix and its effect, ordinary JSON left alone, and the activation cost.
 * Run through `npm run test:e2e` (scripts/run-e2e.mjs), or alone after `node scripts/e2e-setup.mjs`
 * and `npm run package`: node --import tsx --test test/e2e/editor.test.ts
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { recordMetric, VSIX, waitFor, withFailureShot, Workbench } from './workbench';

const CHILD = 'podman-22196-child.json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const RULE = 'mixed-config-media-type';
const FIX_TITLE = `Set config mediaType to ${OCI_CONFIG}`;

const wb = new Workbench({ name: 'editor' });

describe('Manifest Lens in VS Code (code-server): the seed mixed manifest', { timeout: 240_000 }, () => {
  before(() => wb.start(), { timeout: 120_000 });
  after(() => wb.stop());

  it('(a) podman-22196-child.json: an error squiggle on exactly the config mediaType value, and mixed-config-media-type in Problems', withFailureShot(wb, 'a', async () => {
    const page = wb.page;
    await wb.openFile(CHILD);
    await wb.shot('a-opened');
    const editor = page.locator('.editor-group-container.active .monaco-editor');
    await waitFor('an error squiggle in the editor', () => editor.locator('.squiggly-error').count(), { timeoutMs: 30_000 });
    await wb.shot('a-squiggle');

    // Where is the squiggle? Compare its box with the box of the Docker config string on screen.
    const geo = await page.evaluate((needle) => {
      const ed = document.querySelector('.editor-group-container.active .monaco-editor')!;
      const boxes = [...ed.querySelectorAll('.squiggly-error')].map((e) => e.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom }));
      for (const line of ed.querySelectorAll('.view-lines .view-line')) {
        const text = (line.textContent ?? '').replace(/\u00a0/g, ' ');
        const at = text.indexOf(needle);
        if (at < 0) continue;
        // Map the character offsets to text nodes, then measure that exact stretch of text.
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        const range = document.createRange();
        let seen = 0;
        let startSet = false;
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const len = n.textContent!.length;
          if (!startSet && at < seen + len) { range.setStart(n, at - seen); startSet = true; }
          if (startSet && at + needle.length <= seen + len) { range.setEnd(n, at + needle.length - seen); break; }
          seen += len;
        }
        const r = range.getBoundingClientRect();
        return { squiggles: boxes, value: { left: r.left, right: r.right, top: r.top, bottom: r.bottom } };
      }
      return { squiggles: boxes, value: undefined };
    }, `"${DOCKER_CONFIG}"`);
    assert.ok(geo.value, `the text "${DOCKER_CONFIG}" is on screen`);
    assert.equal(geo.squiggles.length, 1, `one error squiggle (got ${geo.squiggles.length})`);
    const [sq] = geo.squiggles;
    const v = geo.value!;
    assert.ok(sq.top < v.bottom && sq.bottom > v.top - 1 && sq.bottom <= v.bottom + 6, `the squiggle is on the config mediaType line (squiggle ${JSON.stringify(sq)}, value ${JSON.stringify(v)})`);
    assert.ok(Math.abs(sq.left - v.left) <= 2 && Math.abs(sq.right - v.right) <= 2, `the squiggle spans exactly the quoted value (squiggle ${sq.left}–${sq.right}, value ${v.left}–${v.right})`);

    const rows = await waitFor(`${RULE} in the Problems panel`, async () => {
      const r = await wb.problems();
      return r.some((t) => t.includes(RULE)) ? r : undefined;
    });
    await wb.shot('a-problems');
    const row = rows.find((t) => t.includes(RULE))!;
    assert.match(row, /^Error:/, 'reported as an error');
    assert.match(row, /\[Ln 5, Col 20\]/, 'at the config mediaType value (line 5, column 20)');
    assert.ok(row.includes('manifest-lens'), 'from Manifest Lens');
    assert.ok(row.includes('podman and buildah refuse to pull it'), 'the message says who refuses it');
    assert.equal(rows.filter((t) => t.startsWith('Error:')).length, 1, 'exactly one error');
  }));

  it('(b) the hover on the underlined value explains the problem', withFailureShot(wb, 'b', async () => {
    const page = wb.page;
    // Put the cursor on the problem the way a keyboard user does: the Problems row, then Enter.
    await page.locator('.markers-panel .monaco-list-row', { hasText: RULE }).first().click();
    await page.keyboard.press('Enter');
    // Enter selects the problem's range: the status bar shows the cursor on line 5 with 48 characters
    // selected, the length of the quoted Docker config type.
    const status = await waitFor('the problem range selected', async () => {
      const t = await page.locator('[id="status.editor.selection"]').innerText().catch(() => '');
      return /Ln 5, Col \d+ \(48 selected\)/.test(t) ? t : undefined;
    });
    assert.equal(`"${DOCKER_CONFIG}"`.length, 48);
    assert.match(status, /Ln 5, Col (20|68) /);
    await wb.shot('b-cursor-on-problem');
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    const hover = page.locator('.monaco-hover').filter({ visible: true }).first();
    const text = await waitFor('the hover', async () => {
      const t = (await hover.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
      // The diagnostic's own line comes first; wait for the explanation (the hover's content) too.
      return (t.includes(RULE) && t.includes('OCI equivalent')) || t.includes('invalid mixed OCI image') ? t : undefined;
    });
    await wb.shot('b-hover');
    assert.ok(
      text.includes('invalid mixed OCI image with Docker v2s2 config') || (text.includes(RULE) && text.includes('OCI equivalent')),
      `the hover explains it:\n${text}`,
    );
    await page.keyboard.press('Escape');
    await waitFor('the hover to close', async () => (await page.locator('.monaco-hover').filter({ visible: true }).count()) === 0);

    // Inside the value (Ctrl+G 5:21, the first character after the quote) the hover also carries
    // Manifest Lens's own explanation of the field: what the value is and its OCI equivalent.
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').fill(':5:21');
    await page.keyboard.press('Enter');
    await waitFor('the cursor at Ln 5, Col 21', async () => (await page.locator('[id="status.editor.selection"]').innerText().catch(() => '')).trim() === 'Ln 5, Col 21');
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    const inside = await waitFor('the field hover', async () => {
      const t = (await page.locator('.monaco-hover').filter({ visible: true }).first().innerText().catch(() => '')).replace(/\u00a0/g, ' ');
      return t.includes('OCI equivalent') ? t : undefined;
    });
    await wb.shot('b-hover-inside-value');
    assert.ok(inside.includes(`OCI equivalent: ${OCI_CONFIG}`), `the field hover names the OCI config type:\n${inside}`);
    assert.ok(inside.includes('invalid mixed OCI image with Docker v2s2 config'), 'and still shows the problem');
    await page.keyboard.press('Escape');
  }));

  it('(c) Ctrl+. lists the quick-fix "Set config mediaType to application/vnd.oci.image.config.v1+json"; applying it fixes the text and clears the error', withFailureShot(wb, 'c', async () => {
    const page = wb.page;
    // In the editor's own input (its cursor stays at 5:21), then the key a person presses.
    await page.locator('.editor-group-container.active .monaco-editor textarea').first().focus();
    await page.keyboard.press('Control+.');
    const pressed = Date.now();
    let via = 'Ctrl+.';
    const items = await waitFor('the quick-fix menu', async () => {
      const t = (await page.locator('.action-widget .monaco-list-row').allInnerTexts()).map((s) => s.replace(/\u00a0/g, ' '));
      if (t.some((s) => s.includes(FIX_TITLE))) return t;
      if (via === 'Ctrl+.' && Date.now() - pressed > 5000 && (await page.locator('.action-widget').filter({ visible: true }).count()) === 0) {
        // Seen in CI and here, in some runs: the lightbulb shown, focus in the editor, and Ctrl+.
        // never reaches VS Code's keybindings in this Chromium (pressing it again does not help),
        // while the same command from the Command Palette opens the menu. The fix under test is
        // the same either way.
        via = 'the Command Palette (Quick Fix...), Ctrl+. not delivered';
        await wb.runCommand('Quick Fix...');
      }
      return undefined;
    });
    console.log(`[e2e] (c) the quick-fix menu opened by ${via}`);
    await wb.shot('c-quick-fix-menu');
    const title = items.find((s) => s.includes(FIX_TITLE))!;
    assert.match(title, /digest/, `the fix title warns that the digest changes: "${title}"`);
    await page.locator('.action-widget .monaco-list-row', { hasText: FIX_TITLE }).first().click();

    const text = await waitFor('the config mediaType to change', async () => {
      const t = await wb.editorText();
      return t.includes(`"mediaType": "${OCI_CONFIG}"`) ? t : undefined;
    });
    const lines = text.split('\n');
    assert.equal(lines[4].trim(), `"mediaType": "${OCI_CONFIG}",`, 'line 5 (the config mediaType) now holds the OCI config type');
    assert.ok(!text.includes(DOCKER_CONFIG), 'the Docker config type is gone');
    assert.ok(text.includes('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'the layer was not touched by this fix');

    const rows = await waitFor(`${RULE} to leave the Problems panel`, async () => {
      const r = await wb.problems();
      return r.some((t) => t.includes(RULE)) ? undefined : r;
    });
    await waitFor('the error squiggle to go', async () => (await page.locator('.editor-group-container.active .monaco-editor .squiggly-error').count()) === 0);
    await wb.shot('c-fixed');
    assert.ok(rows.some((t) => t.includes('mixed-layer-in-oci-manifest')), 'the layer warning is still listed (the fix changed only the config)');
  }));

  it('(d) not-a-manifest.json: ordinary JSON gets no Manifest Lens problems', withFailureShot(wb, 'd', async () => {
    const page = wb.page;
    await wb.openFile('not-a-manifest.json');
    await wb.shot('d-opened');
    // A sentinel opened after it: once the server has linted the sentinel, it has linted
    // not-a-manifest.json too, so the absence below is an answer and not a race.
    await wb.openFile('docker-v2s2-with-oci-layer.json');
    await waitFor('the sentinel document to be linted', async () => (await wb.problems()).some((t) => t.includes('docker-v2s2-with-oci-layer.json')), { timeoutMs: 30_000 });
    const rows = await wb.problems();
    assert.ok(!rows.some((t) => t.includes('not-a-manifest.json')), `no problems listed for not-a-manifest.json:\n${rows.join('\n')}`);
    await wb.openFile('not-a-manifest.json');
    assert.equal(await page.locator('.editor-group-container.active .monaco-editor .squiggly-error, .editor-group-container.active .monaco-editor .squiggly-warning, .editor-group-container.active .monaco-editor .squiggly-info').count(), 0, 'no squiggles');
    await wb.shot('d-no-problems');
  }));

  it('(g) activation time and .vsix size', async (t) => {
    const exthost = await waitFor('the activation in the extension host log', () => wb.exthostLog().split('\n').find((l) => l.includes('ExtensionService#_doActivateExtension manifest-lens.manifest-lens')));
    const own = await waitFor('"Manifest Lens activated in N ms; language server ready after M ms" in the output channel', () => wb.outputChannelLog().match(/Manifest Lens activated in (\d+) ms; language server ready after (\d+) ms/));
    const ms = Number(own[1]);
    const ready = Number(own[2]);
    const vsixBytes = statSync(VSIX).size;
    const line = `activation: activate() ${ms} ms, language server ready after ${ready} ms (the extension's own measures); exthost: ${exthost.trim()}; .vsix ${(vsixBytes / 1024).toFixed(1)} KiB (${vsixBytes} bytes)`;
    recordMetric('serverReadyMs', ready);
    t.diagnostic(line);
    recordMetric('activationMs', ms);
    recordMetric('activationLogLine', exthost.trim());
    recordMetric('vsixBytes', vsixBytes);
    assert.ok(ms < 10_000, `activation took ${ms} ms`);
    assert.ok(ready < 30_000, `the language server took ${ready} ms to start`);
    assert.ok(vsixBytes < 5 * 1024 * 1024, `the .vsix is ${vsixBytes} bytes`);
  });
});
