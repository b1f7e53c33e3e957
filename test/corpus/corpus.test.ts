/**
 * Lints every document of the corpus (test/fixtures/corpus) and compares with the source's own verdict in
 * SOURCES.tsv: `valid` must give no error-severity finding, `invalid` at least one finding.
 * Every disagreement must be listed, with its reason, in exceptions.tsv — and every listed
 * exception must still be a disagreement, so the file cannot go stale.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CORPUS } from '../harness/corpus';
import { lintBytes } from '../../server/src/cli/lint';


interface Row { file: string; kind: string; expected: string; why: string }

function rows(): Row[] {
  return readFileSync(join(CORPUS, 'SOURCES.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => {
    const [file, , , , kind, expected, why] = line.split('\t');
    return { file, kind, expected, why };
  });
}

function exceptions(): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of readFileSync(join(__dirname, 'exceptions.tsv'), 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [file, reason] = line.split('\t');
    assert.ok(reason && reason.trim().length > 10, `exception for ${file} gives a reason`);
    map.set(file, reason);
  }
  return map;
}

test('corpus agreement with the sources\' own verdicts', () => {
  const allowed = exceptions();
  let agree = 0;
  let judged = 0;
  const unexpected: string[] = [];
  const stale: string[] = [];
  for (const r of rows()) {
    if (r.expected !== 'valid' && r.expected !== 'invalid') continue;
    judged++;
    const result = lintBytes(r.file, readFileSync(join(CORPUS, r.file)));
    const ok = r.expected === 'valid'
      ? !result.findings.some((f) => f.severity === 'error')
      : result.findings.length > 0;
    if (ok) {
      agree++;
      if (allowed.has(r.file)) stale.push(r.file);
    } else if (!allowed.has(r.file)) {
      const got = result.findings.map((f) => `${f.ruleId}(${f.severity})`).join(', ') || 'no findings';
      unexpected.push(`${r.expected} ${r.file} [detected ${result.kind}]: ${got} — source says: ${r.why}`);
    }
  }
  const pct = ((100 * agree) / judged).toFixed(1);
  console.log(`corpus agreement: ${agree}/${judged} (${pct}%), ${allowed.size} reviewed exceptions`);
  assert.deepEqual(unexpected, [], 'every disagreement is fixed or listed in test/corpus/exceptions.tsv');
  assert.deepEqual(stale, [], 'exceptions that now agree must be removed from exceptions.tsv');
});

test('every corpus document lints without throwing, and unknown JSON stays quiet', () => {
  for (const r of rows()) {
    const result = lintBytes(r.file, readFileSync(join(CORPUS, r.file)));
    assert.ok(Array.isArray(result.findings));
    assert.ok(!result.findings.some((f) => f.message.startsWith('internal error')), `${r.file}: a rule threw`);
  }
});
