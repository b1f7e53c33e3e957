/** The audit's journal (graph/auditState.ts): whole lines kept, a torn last one dropped, another audit's refused. */
import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openJournal, type Journal } from '../../server/src/graph/auditState';
import type { RepositoryAudit } from '../../server/src/graph/audit';

const dir = mkdtempSync(join(tmpdir(), 'manifest-lens-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const repo = (name: string): RepositoryAudit => ({ repository: name, tags: [{ tag: 'v1', digest: `sha256:${'a'.repeat(64)}` }], digests: [] });
const open = (file: string, head = { registry: 'r.example:5000' }): Journal => {
  const j = openJournal(file, head);
  assert.equal(typeof j, 'object', String(j));
  return j as Journal;
};

describe('audit journal', () => {
  it('keeps every whole line, drops a torn last one and appends after it on a line of its own', () => {
    const file = join(dir, 'torn.jsonl');
    const j = open(file);
    j.append(repo('a'));
    j.append(repo('b'));
    j.close();
    appendFileSync(file, '{"repository":"c","ta');
    const k = open(file);
    assert.equal(k.torn, true);
    assert.deepEqual([...k.done.keys()], ['a', 'b']);
    k.append(repo('c'));
    k.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.length, 5); // head, a, b, c, ''
    assert.deepEqual([...open(file).done.keys()], ['a', 'b', 'c']);
  });

  it('starts again when even the first line was torn', () => {
    const file = join(dir, 'head.jsonl');
    writeFileSync(file, '{"format":"manifest-lens-audit');
    const j = open(file);
    assert.equal(j.done.size, 0);
    j.close();
    assert.match(readFileSync(file, 'utf8'), /^\{"format":"manifest-lens-audit-journal\/1","registry":"r\.example:5000"\}\n$/);
  });

  it('refuses another audit\'s journal, a damaged line in the middle, and a file that is no journal', () => {
    const file = join(dir, 'other.jsonl');
    open(file, { registry: 'r.example:5000', shard: '0/2' } as never).close();
    assert.match(String(openJournal(file, { registry: 'r.example:5000', shard: '1/2' })), /journal of the audit of r\.example:5000 \(shard 0\/2\)/);
    assert.match(String(openJournal(file, { registry: 'r.example:5000' })), /not of r\.example:5000/);
    const damaged = join(dir, 'damaged.jsonl');
    open(damaged).close();
    appendFileSync(damaged, 'garbage\n' + JSON.stringify(repo('a')) + '\n');
    assert.match(String(openJournal(damaged, { registry: 'r.example:5000' })), /line 2 is not a repository's result/);
    const notJournal = join(dir, 'notes.txt');
    writeFileSync(notJournal, 'my notes\n');
    assert.match(String(openJournal(notJournal, { registry: 'r.example:5000' })), /not an audit journal/);
    assert.equal(readFileSync(notJournal, 'utf8'), 'my notes\n');
    writeFileSync(notJournal, 'my notes\nno newline at the end');
    assert.match(String(openJournal(notJournal, { registry: 'r.example:5000' })), /not an audit journal/);
    assert.equal(readFileSync(notJournal, 'utf8'), 'my notes\nno newline at the end', 'a file that is not a journal was cut');
  });
});
