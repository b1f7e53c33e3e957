/**
 * The README's pictures are screenshots the end-to-end suite takes (scripts/run-e2e.mjs
 * README_SHOTS; `npm run test:e2e -- --readme-shots` refreshes them from a passing run), so that
 * they show what the current build shows. Every image the README names exists, and every one
 * under images/readme/ is one the suite takes.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '..', '..');

test('every image the README shows exists, and the screenshots are the ones the E2E suite takes', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
  assert.ok(images.length >= 5, `a picture per capability: ${images.join(', ')}`);
  for (const image of images) assert.ok(existsSync(join(ROOT, image)), `${image} is missing`);
  const runner = readFileSync(join(ROOT, 'scripts', 'run-e2e.mjs'), 'utf8');
  const table = /const README_SHOTS = \{([^}]*)\}/.exec(runner)?.[1] ?? '';
  const taken = [...table.matchAll(/'([^']+\.png)'/g)].map((m) => m[1]);
  for (const file of readdirSync(join(ROOT, 'images', 'readme'))) {
    assert.ok(taken.includes(file), `images/readme/${file} is not taken by the E2E suite (README_SHOTS in scripts/run-e2e.mjs)`);
    assert.ok(images.includes(`images/readme/${file}`), `images/readme/${file} is not shown in the README`);
  }
  for (const file of taken) assert.ok(images.includes(`images/readme/${file}`), `README_SHOTS names ${file}, which the README does not show`);
});
