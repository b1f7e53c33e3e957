/**
 * End to end, in a real VS Code (code-server + Chromium), the editor under a person's hands
 * (issue 12):
 *   (n) typing a new layer entry key by key into the seed manifest: the mixed-config squiggle
 *       never disappears, at any frame, though the JSON is broken most of the time;
 *   (o) the rule link in Problems opens the rule's explanation rendered, in its own tab, and
 *       the manifest stays open;
 *   (p, q) Inspect Remote Image: a reference pasted and Enter pressed at once, typed fast and Enter,
 *       and the last character typed just before Enter: what is fetched is what is in the box.
 * Run alone: node scripts/run-e2e.mjs test/e2e/typing.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { INSERT_AT, NEW_ENTRY, SEED } from '../harness/typing';
import { plain, recordMetric, sampleRegistry, waitFor, withFailureShot, Workbench, type SampleRegistry } from './workbench';

interface Seeded { reference: string; digest: string }
interface Refs { host: string; podman22196: { index: Seeded; amd64: Seeded; arm64: Seeded } }

const CHILD = 'podman-22196-child.json';
const DOCKER_CONFIG = '"application/vnd.docker.container.image.v1+json"';
const RULE = 'mixed-config-media-type';
const COMMAND = 'Manifest Lens: Inspect Remote Image';

/** Runs in the page: counts animation frames, and those without an error squiggle over NEEDLE. */
const WATCH_SQUIGGLE = `(() => {
  const needle = NEEDLE;
  const ed = document.querySelector('.editor-group-container.active .monaco-editor');
  function valueBox() {
    for (const line of ed.querySelectorAll('.view-lines .view-line')) {
      const text = (line.textContent || '').replace(/\\u00a0/g, ' ');
      const at = text.indexOf(needle);
      if (at < 0) continue;
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      let seen = 0;
      let startSet = false;
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const len = n.textContent.length;
        if (!startSet && at < seen + len) { range.setStart(n, at - seen); startSet = true; }
        if (startSet && at + needle.length <= seen + len) { range.setEnd(n, at + needle.length - seen); break; }
        seen += len;
      }
      return range.getBoundingClientRect();
    }
    return undefined;
  }
  const state = { frames: 0, missing: 0, firstMissing: undefined, stop: false };
  window.__ml = state;
  function tick() {
    if (state.stop) return;
    const v = valueBox();
    const covered = !!v && [...ed.querySelectorAll('.squiggly-error')].some((e) => {
      const r = e.getBoundingClientRect();
      return r.top < v.bottom + 6 && r.bottom > v.top && Math.abs(r.left - v.left) <= 3 && Math.abs(r.right - v.right) <= 3;
    });
    state.frames++;
    if (!covered) { state.missing++; if (state.firstMissing === undefined) state.firstMissing = state.frames; }
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
})()`;

// Typing exactly the generated states: no auto-closing, no auto-indent, no suggestions taking keys.
const wb = new Workbench({
  name: 'typing',
  settings: {
    'editor.autoClosingBrackets': 'never',
    'editor.autoClosingQuotes': 'never',
    'editor.autoClosingOvertype': 'never',
    'editor.autoIndent': 'none',
    'editor.formatOnType': false,
    'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
    'editor.suggestOnTriggerCharacters': false,
    'editor.acceptSuggestionOnEnter': 'off',
    'editor.wordBasedSuggestions': 'off',
    'workbench.editor.enablePreview': true,
  },
});
let registry: SampleRegistry;
let refs: Refs;

describe('Manifest Lens in VS Code (code-server): typing, links and the input box', { timeout: 420_000 }, () => {
  before(async () => {
    await wb.start();
    registry = await sampleRegistry(wb.root);
    refs = registry.refs as Refs;
  }, { timeout: 150_000 });
  after(async () => {
    await wb.stop();
    await registry?.stop();
  });

  it('(n) typing a new layer entry key by key: the mixed-config squiggle never disappears', withFailureShot(wb, 'n', async () => {
    const page = wb.page;
    // From the Explorer (Quick Open waits for the file search, slow on a busy machine).
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: CHILD }).first().dblclick();
    await wb.activeTab(CHILD, 30_000);
    const editor = page.locator('.editor-group-container.active .monaco-editor');
    await waitFor('the mixed-config squiggle', () => editor.locator('.squiggly-error').count(), { timeoutMs: 30_000 });

    // Watch every frame: is there an error squiggle over the Docker config value? (Plain
    // JavaScript in a string: tsx would wrap named functions in a helper the page does not have.)
    await page.evaluate(WATCH_SQUIGGLE.replace('NEEDLE', JSON.stringify(DOCKER_CONFIG)));

    // The cursor right after the last layer's closing brace: Go to Line, then End.
    const line = SEED.slice(0, INSERT_AT).split('\n').length;
    await page.keyboard.press('Control+G');
    await page.keyboard.type(String(line));
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    await waitFor(`the cursor at the end of line ${line}`, async () => (await page.locator('.statusbar-item', { hasText: `Ln ${line},` }).count()) > 0);

    // Key by key, slower than the server's debounce (50 ms), so every state is linted.
    for (const ch of NEW_ENTRY) {
      if (ch === '\n') await page.keyboard.press('Enter');
      else await page.keyboard.type(ch);
      await page.waitForTimeout(70);
    }
    await page.waitForTimeout(1000);
    await wb.shot('a-typed');
    const watch = await page.evaluate(() => {
      const w = window as unknown as { __ml: { frames: number; missing: number; firstMissing?: number; stop: boolean } };
      w.__ml.stop = true;
      return w.__ml;
    });
    const text = await wb.editorText();
    assert.equal(text.replace(/\s+/g, ''), (SEED.slice(0, INSERT_AT + 1) + NEW_ENTRY + SEED.slice(INSERT_AT + 1)).replace(/\s+/g, ''), 'typed exactly the new entry');
    recordMetric('typing.squiggleWatch', { frames: watch.frames, missing: watch.missing, keystrokes: NEW_ENTRY.length });
    assert.ok(watch.frames > 200, `watched ${watch.frames} frames`);
    assert.equal(watch.missing, 0, `the squiggle was missing in ${watch.missing} of ${watch.frames} frames (first at frame ${watch.firstMissing})`);
  }));

  it('(o) the rule link in Problems opens the rule rendered in its own tab; the manifest stays open', withFailureShot(wb, 'o', async () => {
    const page = wb.page;
    await waitFor(`${RULE} in the Problems panel`, async () => (await wb.problems()).some((t) => t.includes(RULE)));
    const link = page.locator('.markers-panel .monaco-list-row .code-link a, .markers-panel .monaco-list-row a.code-link, .markers-panel .monaco-list-row .monaco-link', { hasText: RULE }).first();
    await link.click();
    const preview = await waitFor('a Markdown preview tab of the rule', async () => {
      const labels = await page.locator('.tab').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      return labels.find((l) => l.includes(`${RULE}.md`) && /preview/i.test(l));
    }, { timeoutMs: 20_000 });
    // Rendered: the preview's webview holds the rule's text as HTML (a heading, the Why), not Markdown source.
    const rendered = await waitFor('the rule rendered in the preview', async () => {
      for (const frame of page.frames()) {
        const html = await frame.evaluate('document.body ? document.body.innerHTML : ""').catch(() => '') as string;
        // The preview's frame, not the workbench's (whose Problems panel shows the message too).
        if (/<h1[^>]*>[^<]*mixed-config-media-type/.test(html) && html.includes('podman and buildah refuse to pull it')) return html;
      }
      return undefined;
    }, { timeoutMs: 20_000 });
    assert.match(rendered, /<h1[^>]*>[^<]*mixed-config-media-type/);
    assert.match(rendered, /<strong>Why:<\/strong>/);
    assert.doesNotMatch(rendered, /\*\*Why:\*\*/);
    await wb.shot('b-rule-preview');
    const labels = await page.locator('.tab').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    assert.ok(labels.some((l) => l.includes(CHILD)), `the manifest's tab is still open: ${labels.join(' | ')}`);
    assert.ok(!labels.some((l) => /rules\.md/.test(l)), `the raw docs/rules.md was not opened: ${labels.join(' | ')}`);
    assert.match(preview, /Preview/i);
  }));

  /** F1 → Inspect Remote Image, then `enter` (how the reference gets into the box, and Enter). */
  async function inspectWith(enter: (input: ReturnType<typeof wb.page.locator>) => Promise<void>): Promise<void> {
    const page = wb.page;
    await wb.runCommand(COMMAND);
    const input = page.locator('.quick-input-widget input');
    await waitFor('the reference input box', async () => (await input.getAttribute('placeholder'))?.includes('registry/repository'));
    await enter(input);
  }

  async function expectOpened(title: string, wrong: RegExp): Promise<void> {
    // Slow on a busy machine: wait for the tab, and say what was on screen if it never came.
    await wb.activeTab(title, 60_000).catch(async (e: Error) => {
      const labels = await wb.page.locator('.tab').evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
      throw new Error(`${e.message}\ntabs: ${labels.join(' | ')}\nnotifications: ${(await wb.notifications()).join(' | ')}`);
    });
    const notes = await wb.notifications();
    assert.ok(!notes.some((n) => wrong.test(n)), `no fetch of another reference: ${notes.join(' | ')}`);
  }

  /**
   * Puts `text` into the box and presses Enter in one task of the page, as a paste followed by
   * Enter reaches VS Code on a busy machine: the extension cannot have answered the change
   * (validated it, rebuilt its items) before the Enter arrives. (Plain JavaScript in a string:
   * tsx would wrap named functions in a helper the page does not have.)
   */
  async function putAndEnter(text: string, append: boolean): Promise<void> {
    await wb.page.evaluate(`(() => {
      const input = document.querySelector('.quick-input-widget input');
      input.focus();
      const text = ${JSON.stringify(text)};
      input.value = ${append ? 'input.value + text' : 'text'};
      input.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste', data: text }));
      const enter = new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', bubbles: true, cancelable: true });
      Object.defineProperty(enter, 'keyCode', { get: () => 13 });
      Object.defineProperty(enter, 'which', { get: () => 13 });
      input.dispatchEvent(enter);
    })()`);
  }

  it('(p) paste a reference and press Enter at once, with a recent entry that matches it: exactly what was pasted is inspected', withFailureShot(wb, 'p', async () => {
    const page = wb.page;
    const ref = refs.podman22196.index.reference;
    // A recent entry that the pasted reference matches as a prefix (the fetch fails: no such tag,
    // but the reference is remembered).
    const other = `${ref}-old`;
    // Start from the manifest's editor group, not the rule preview's (a webview keeps the focus).
    await page.keyboard.press('Control+1');
    await inspectWith(async (input) => {
      await input.fill(other);
      await waitFor(`"${other}" offered for inspection`, async () => (await page.locator('.quick-input-widget .monaco-list-row.focused').allInnerTexts()).some((r) => plain(r).includes(other)));
      await page.keyboard.press('Enter');
    });
    await waitFor('the not-found notification for the other tag', async () => (await wb.notifications()).some((n) => n.includes('mixed-old')), { timeoutMs: 60_000 });
    await wb.runCommand('Notifications: Clear All Notifications');

    await inspectWith(async () => putAndEnter(ref, false));
    await expectOpened('podman-22196:mixed.json', /mixed-old/);
    await wb.shot('c-pasted');
  }));

  it('(q) type fast and press Enter, and the last character just before Enter: what is in the box wins', withFailureShot(wb, 'q', async () => {
    const page = wb.page;
    const ref = refs.podman22196.index.reference;
    await page.keyboard.press('Control+W');
    await inspectWith(async () => {
      await page.keyboard.type(ref, { delay: 5 });
      await page.keyboard.press('Enter');
    });
    await expectOpened('podman-22196:mixed.json', /not found|MANIFEST_UNKNOWN|404/i);
    await page.keyboard.press('Control+W');

    // The typed-value item shows a value one character short (validated, "Inspect"); the last
    // character and Enter follow at once. The box holds the full reference: that is what is fetched.
    const short = ref.slice(0, -1);
    await inspectWith(async (input) => {
      await input.fill(short);
      await waitFor(`"${short}" offered for inspection`, async () => {
        const rows = (await page.locator('.quick-input-widget .monaco-list-row.focused').allInnerTexts()).map(plain);
        return rows.some((r) => r.includes(short) && !r.includes(ref) && r.includes('Inspect'));
      });
      await putAndEnter(ref.slice(-1), true);
    });
    await expectOpened('podman-22196:mixed.json', /not found|MANIFEST_UNKNOWN|404/i);
    await wb.shot('d-typed');
  }));

  it('(r) type part of a reference, then choose a recent entry with the arrow keys: Enter takes the chosen entry', withFailureShot(wb, 'r', async () => {
    const page = wb.page;
    const ref = refs.podman22196.index.reference;
    const old = `${ref}-old`; // remembered by (p): its fetch fails with "not found", which names it
    const typed = ref.slice(0, -3);
    await wb.runCommand('Notifications: Clear All Notifications');
    const focused = async (): Promise<string> => plain((await page.locator('.quick-input-widget .monaco-list-row.focused').allInnerTexts()).join(' '));
    await inspectWith(async (input) => {
      await input.fill(typed);
      await waitFor(`"${typed}" offered for inspection`, async () => { const f = await focused(); return f.includes(typed) && f.includes('Inspect'); });
      for (let i = 0; i < 4 && !(await focused()).includes(old); i++) {
        await page.keyboard.press('ArrowDown');
        await new Promise((r) => setTimeout(r, 150));
      }
      assert.ok((await focused()).includes(old), `the arrow keys reached the recent entry: ${await focused()}`);
      await page.keyboard.press('Enter');
    });
    await waitFor('the not-found notification for the chosen entry', async () => (await wb.notifications()).some((n) => n.includes('mixed-old')), { timeoutMs: 60_000 });
    const notes = await wb.notifications();
    assert.ok(!notes.some((n) => n.includes(`${typed.split('/').pop()}:`)), `the typed text was not fetched: ${notes.join(' | ')}`);
    await wb.shot('e-arrow-chosen');
  }));
});
