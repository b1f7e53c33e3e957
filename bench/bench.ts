/**
 * npm run bench — side by side, in one process, medians of several runs:
 *   our full lint (analyze), JSON.parse (the floor), jsonc-parser parseTree, and
 *   vscode-json-languageservice parse + validate against our index schema (what a schema alone gives).
 * Writes bench/RESULTS.md with the machine it ran on.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseTree } from 'jsonc-parser';
import { getLanguageService, TextDocument } from 'vscode-json-languageservice';
import { analyze, type AnalyzeOptions } from '../server/src/engine/analyze';
import { makeIndex, makeManifest } from './generate';

const ROOT = join(__dirname, '..');
const SCHEMAS = join(ROOT, 'schemas');
const INDEX_SCHEMA = 'https://manifest-lens.dev/schemas/oci-image-index.schema.json';

/** What the numbers rest on; written under the table. */
const HOW = `## How the lint gets there

- **Parsing** (engine/tape.ts): one loop over the text with an explicit stack records every value
  as a slot in typed arrays (type, start, end, parent, first child, next sibling); node objects
  are made only for the slots a rule or a hover asks for.
- **Plain entries** (engine/plain.ts): before the rules run, one pass over the tape marks the
  index entries and layers in which no per-entry rule can find anything (the media type of their
  kind, a lowercase sha256 digest without special meaning, a plain size, a normalised known
  platform, standard annotations with valid values). Per-entry rules skip them; the rules that
  compare entries (duplicate platforms, attestations, duplicate keys, Docker children) read their
  facts. test/engine/plain.test.ts checks that findings are identical with and without this path.
- The "fast path off" row is the same index with that pass disabled (\`plainEntries: false\`): what
  an index of entries the fast path does not take costs, since then every rule reads every entry.
  Lint time grows linearly with the entries either way.`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function schemaFile(uri: string): string {
  return join(SCHEMAS, uri.slice(uri.lastIndexOf('/') + 1));
}

async function main(): Promise<void> {
  const haveSchema = existsSync(schemaFile(INDEX_SCHEMA));
  const ls = getLanguageService({ schemaRequestService: async (uri) => readFileSync(schemaFile(uri), 'utf8') });
  ls.configure({ validate: true, allowComments: false, schemas: [{ uri: INDEX_SCHEMA, fileMatch: ['*.json'] }] });

  const cases: { name: string; text: string; runs: number; json: boolean; options?: AnalyzeOptions }[] = [
    { name: 'index, 100 entries', text: makeIndex(100), runs: 30, json: true },
    { name: 'index, 1,000 entries', text: makeIndex(1000), runs: 15, json: true },
    { name: 'index, 20,000 entries', text: makeIndex(20000), runs: 15, json: true },
    { name: 'index, 20,000 entries, fast path off', text: makeIndex(20000), runs: 7, json: true, options: { plainEntries: false } },
    { name: 'manifest, 100 KB', text: makeManifest(100 * 1024), runs: 30, json: false },
  ];
  const rows: string[] = [];
  const summary: string[] = [];
  for (const c of cases) {
    const t = { lint: [] as number[], parse: [] as number[], tree: [] as number[], jls: [] as number[] };
    let findings = -1;
    for (let r = 0; r < c.runs + 1; r++) {
      let s = performance.now();
      const a = analyze(c.text, c.options);
      const lint = performance.now() - s;
      findings = a.findings.length;
      s = performance.now();
      JSON.parse(c.text);
      const parse = performance.now() - s;
      s = performance.now();
      parseTree(c.text);
      const tree = performance.now() - s;
      let jls = NaN;
      if (haveSchema && c.json) {
          s = performance.now();
        const doc = TextDocument.create('file:///bench.json', 'json', 1, c.text);
        await ls.doValidation(doc, ls.parseJSONDocument(doc));
        jls = performance.now() - s;
      }
      if (r === 0) continue; // warm-up
      t.lint.push(lint); t.parse.push(parse); t.tree.push(tree); t.jls.push(jls);
    }
    const m = { lint: median(t.lint), parse: median(t.parse), tree: median(t.tree), jls: median(t.jls) };
    const kb = (c.text.length / 1024).toFixed(0);
    rows.push(`| ${c.name} | ${kb} KB | ${m.lint.toFixed(2)} | ${m.parse.toFixed(2)} | ${m.tree.toFixed(2)} | ${Number.isNaN(m.jls) ? 'n/a' : m.jls.toFixed(2)} | ${(m.lint / m.parse).toFixed(2)}× | ${Number.isNaN(m.jls) ? 'n/a' : (m.lint / m.jls).toFixed(2) + '×'} | ${findings} |`);
    if (c.name === 'index, 20,000 entries') {
      summary.push(`- 20,000-entry index: lint ${m.lint.toFixed(1)} ms = ${(m.lint / m.parse).toFixed(2)}× JSON.parse (target ≤ 5×)` +
        (Number.isNaN(m.jls) ? '' : `, ${(m.lint / m.jls).toFixed(2)}× vscode-json-languageservice (target ≤ 0.5×)`));
    }
    if (c.name.includes('fast path off')) {
      summary.push(`- the same index with the plain-entry fast path turned off, so that every rule reads every entry: lint ${m.lint.toFixed(1)} ms = ${(m.lint / m.parse).toFixed(2)}× JSON.parse` +
        (Number.isNaN(m.jls) ? '' : `, ${(m.lint / m.jls).toFixed(2)}× vscode-json-languageservice`) + ' (no target: the slow path, for comparison)');
    }
    if (c.name.startsWith('manifest')) summary.push(`- 100 KB manifest: lint ${m.lint.toFixed(2)} ms (target < 5 ms)`);
  }
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
  const table = [
    '| document | size | our lint (ms) | JSON.parse (ms) | jsonc parseTree (ms) | json-languageservice + schema (ms) | lint / JSON.parse | lint / json-ls | findings |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  const out = `# Benchmark results\n\nMachine: ${machine}\nDate: ${new Date().toISOString()}\nCommand: \`npm run bench\` (medians; each run measures all columns back to back, interleaved)\n\n${table}\n\n${summary.join('\n')}\n\n${HOW}\n`;
  console.log(out);
  if (!process.argv.includes('--no-write')) writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), out);
}

void main();
