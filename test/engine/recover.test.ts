/**
 * Error-tolerant linting (engine/recover.ts, lsp/tolerantAnalysis.ts): while the text is briefly
 * broken, problems away from the broken spot keep their place and their fixes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, type Analysis } from '../../server/src/engine/analyze';
import type { Edit, Finding } from '../../server/src/engine/types';
import { analyzeTolerant } from '../../server/src/lsp/tolerantAnalysis';
import { diffTexts, mapSpan } from '../../server/src/engine/recover';
import { DOCKER_CONFIG, INSERT_AT, NEW_ENTRY, OCI_CONFIG, SEED, typingStates } from '../harness/typing';

function applyEdits(text: string, edits: readonly Edit[]): string {
  return [...edits].sort((a, b) => b.offset - a.offset).reduce((t, e) => t.slice(0, e.offset) + e.newText + t.slice(e.offset + e.length), text);
}

function mixed(a: Analysis): Finding | undefined {
  return a.findings.find((f) => f.ruleId === 'mixed-config-media-type');
}

/** The mixed-config finding is on the Docker config type of `text`, and its preferred fix sets the OCI type there. */
function assertMixedWithFix(text: string, a: Analysis, label: string): void {
  const f = mixed(a);
  assert.ok(f, `${label}: mixed-config-media-type among ${a.findings.map((x) => x.ruleId).join(', ') || 'nothing'}`);
  assert.equal(text.slice(f.offset, f.offset + f.length), DOCKER_CONFIG, `${label}: on the config mediaType`);
  const fix = f.fixes.find((x) => x.title.startsWith(`Set config mediaType to ${OCI_CONFIG}`));
  assert.ok(fix, `${label}: the fix is offered (${f.fixes.map((x) => x.title).join(' | ')})`);
  assert.equal(applyEdits(text, fix.edits), text.replace(DOCKER_CONFIG, JSON.stringify(OCI_CONFIG)), `${label}: the fix edits exactly the config type`);
}

const states = typingStates();

test('the typing states: the seed, then one more character of a new layer entry each, many of them broken JSON', () => {
  assert.equal(states.length, NEW_ENTRY.length + 1);
  assert.equal(states[0], SEED);
  assert.equal(JSON.parse(states.at(-1)!).layers.length, 2);
  const broken = states.filter((s) => analyze(s).syntaxErrors.length > 0).length;
  assert.ok(broken > NEW_ENTRY.length / 2, `${broken} of ${states.length} states do not parse`);
  assert.ok(SEED[INSERT_AT] === '}' && SEED.slice(INSERT_AT + 1).trimStart().startsWith(']'), 'inserted after the last layer');
});

test('typing a new layer entry key by key: the mixed-config error and its fix hold in every state', () => {
  let previous: Analysis | undefined;
  states.forEach((text, i) => {
    const a = analyzeTolerant(text, {}, previous);
    assertMixedWithFix(text, a, `state ${i} ${JSON.stringify(NEW_ENTRY.slice(Math.max(0, i - 12), i))}`);
    // The Docker layer of layers[0] stays flagged too: it is away from the broken spot.
    const layer = a.findings.find((f) => f.ruleId === 'mixed-layer-in-oci-manifest' && f.offset < INSERT_AT);
    assert.ok(layer, `state ${i}: layers[0] still flagged`);
    assert.equal(text.slice(layer.offset, layer.offset + layer.length), '"application/vnd.docker.image.rootfs.diff.tar.gzip"');
    previous = a;
  });
});

test('the recovered tree alone (no previous version) keeps the error where the damage is local', () => {
  // A trailing comma, a missing comma, a half-typed entry: recovered without any history.
  const cases = [
    states[1], // `,` after the last layer: a trailing comma
    SEED.replace('"size": 1469,', '"size": 1469'), // a missing comma, inside config itself
    states[NEW_ENTRY.indexOf('"mediaType": "appl') + 16], // an entry half typed, a string not closed
    states[NEW_ENTRY.indexOf('"size"') + 3],
  ];
  const local = [cases[0], cases[2], cases[3]];
  for (const [i, text] of local.entries()) {
    const a = analyze(text, { recover: true });
    assert.ok(a.syntaxErrors.length > 0, `case ${i} is broken`);
    assertMixedWithFix(text, a, `case ${i}`);
  }
  // A missing comma hides nothing (jsonc-parser reads the next member whole): the recovered tree
  // alone keeps the finding, even inside the object that lacks the comma.
  assertMixedWithFix(cases[1], analyze(cases[1], { recover: true }), 'missing comma in config, no history');
  // Real damage inside config (a colon missing, the value read as a key): nothing is said about
  // config from the recovered tree alone; with the previous version, the finding is carried over.
  const colon = SEED.replace('"size": 1469,', '"size" 1469,');
  const a = analyze(colon, { recover: true });
  assert.ok(a.syntaxErrors.length > 0);
  assert.equal(mixed(a), undefined, 'no guess inside the damaged object');
  assertMixedWithFix(colon, analyzeTolerant(colon, {}, analyze(SEED)), 'missing colon in config, with history');
});

test('a missing comma as a whole new text (a paste, a format): no previous version to carry from, every finding kept (issue 24)', () => {
  const comma = SEED.lastIndexOf(',', SEED.indexOf('"layers"'));
  const broken = SEED.slice(0, comma) + SEED.slice(comma + 1);
  const seedRules = analyze(SEED).findings.map((f) => f.ruleId);
  // Previous versions the whole-text change shares nothing useful with: none, empty, the seed reindented or minified.
  for (const prevText of [undefined, '', SEED.replace(/ {3}/g, '  '), JSON.stringify(JSON.parse(SEED))]) {
    const previous = prevText === undefined ? undefined : analyzeTolerant(prevText, {}, undefined);
    const a = analyzeTolerant(broken, {}, previous);
    assert.ok(a.syntaxErrors.some((e) => e.code === 'CommaExpected'), 'the comma is reported');
    assertMixedWithFix(broken, a, `after ${JSON.stringify(prevText?.slice(0, 12))}`);
    assert.deepEqual(a.findings.map((f) => f.ruleId), seedRules, 'the same findings as the seed');
  }
  // A second missing comma, inside a layer: still nothing hidden.
  const twice = broken.replace('"size": 3374563,', '"size": 3374563');
  assert.deepEqual(analyze(twice, { recover: true }).findings.map((f) => f.ruleId), seedRules);
});

test('no finding caused by the damage: a half-typed entry is not reported as missing fields, nor the manifest as missing layers', () => {
  for (const [i, text] of states.entries()) {
    const a = analyze(text, { recover: true });
    if (a.syntaxErrors.length === 0) continue;
    for (const f of a.findings) {
      assert.ok(f.offset < INSERT_AT, `state ${i}: ${f.ruleId} at ${f.offset} is in the new entry: ${f.message}`);
      assert.notEqual(f.offset, 0, `state ${i}: ${f.ruleId} on the top {: ${f.message}`);
    }
  }
  // Swallowing the rest: `layers` half typed at the top hides everything after it.
  const cut = SEED.replace('"layers": [', '"lay');
  const a = analyze(cut, { recover: true });
  assert.ok(!a.findings.some((f) => /layers is missing/.test(f.message)), a.findings.map((f) => f.message).join('\n'));
});

test('retyping the top-level mediaType, key and value (the kind unreadable or wrong for a moment): the previous findings are kept, moved', () => {
  const line = '"mediaType": "application/vnd.oci.image.manifest.v1+json",';
  const value = 'application/vnd.oci.image.manifest.v1+json';
  assert.ok(SEED.includes(line));
  // Backspace over the value (its closing quote and the comma first) and the key, then type
  // both again.
  const whole = `"mediaType": "${value}`;
  const partial = (k: number) => whole.slice(0, k);
  const states = [
    ...Array.from({ length: whole.length }, (_, i) => partial(whole.length - i)),
    ...Array.from({ length: whole.length }, (_, i) => partial(i + 1)),
    line,
  ];
  let previous: Analysis | undefined = analyze(SEED);
  let brokenStates = 0;
  for (const [i, l] of states.entries()) {
    const text = SEED.replace(line, l);
    const a = analyzeTolerant(text, {}, previous);
    if (a.syntaxErrors.length > 0) brokenStates++;
    assertMixedWithFix(text, a, `state ${i} ${JSON.stringify(l)}`);
    previous = a;
  }
  assert.equal(brokenStates, states.length - 1, 'every state but the last is broken JSON');
});

test('a problem fixed while the text is broken elsewhere is gone: the recovered tree has the last word where it can be trusted', () => {
  const broken = states[1];
  const fixed = broken.replace(DOCKER_CONFIG, JSON.stringify(OCI_CONFIG));
  const a = analyzeTolerant(fixed, {}, analyzeTolerant(broken, {}, analyze(SEED)));
  assert.ok(a.syntaxErrors.length > 0);
  assert.equal(mixed(a), undefined);
});

test('a finding whose text the user rewrote is not carried over; one that holds the edit grows with it', () => {
  const c = diffTexts('abcdef', 'abXYef');
  assert.deepEqual(c, { start: 2, oldEnd: 4, delta: 0 });
  assert.equal(mapSpan({ offset: 2, length: 2 }, c), undefined);
  assert.deepEqual(mapSpan({ offset: 0, length: 2 }, c), { offset: 0, length: 2 });
  assert.deepEqual(mapSpan({ offset: 4, length: 2 }, diffTexts('abcdef', 'abcZZdef')), { offset: 6, length: 2 });
  assert.deepEqual(mapSpan({ offset: 1, length: 4 }, diffTexts('abcdef', 'abcZZdef')), { offset: 1, length: 6 });
});

test('the CLI\'s analysis is unchanged: without recover, broken text is not linted', () => {
  const a = analyze(states[1]);
  assert.equal(a.linted, false);
  assert.deepEqual(a.findings, []);
});
