/**
 * The language server against hostile fetched documents (issue 10), over LSP with dist/server.js:
 * while it fetches and indents a compact 4,000-entry index, or refuses a document nested
 * 100,000 deep, a hover on another document still answers within 100 ms, and the server's
 * peak memory stays bounded. Before the fix the index took 37 s (hovers waited as long) and the
 * deep document ran the server out of memory.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Requests } from '../../common/protocol';
import { makeIndex } from '../../bench/generate';
import { startFakeRegistry, type FakeRegistry } from '../registry/fakeRegistry';
import { startServer, type TestServer } from './lspClient';

interface RemoteDocument { uri: string; text: string; size: number; prettyPrinted: boolean; warnings: string[] }

const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/**
 * The bar. On a shared 2-core machine under load a hover can take longer with nothing
 * else going on, so the bar is raised to twice the slowest of as many idle hovers measured just
 * before (printed with the figures); before the fix the hover waited 37 s.
 */
const HOVER_BUDGET_MS = 100;
let idleSlowest = 0;
const budget = (): number => Math.max(HOVER_BUDGET_MS, 2 * idleSlowest);

/** The slowest hover on the other document over `ms` (at least 10 hovers) with nothing else going on. */
async function idleHovers(ms: number): Promise<number> {
  let slowest = 0;
  const until = performance.now() + ms;
  for (let i = 0; i < 10 || performance.now() < until; i++) {
    const t = performance.now();
    await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: OTHER }, position: { line: 2, character: 20 } });
    slowest = Math.max(slowest, performance.now() - t);
    await new Promise((r) => setTimeout(r, 5));
  }
  idleSlowest = slowest;
  return slowest;
}
/** Peak resident memory of the server process (VmHWM); before the fix: 2.8 GB and then out of memory at 4.3 GB. */
const PEAK_RSS_BUDGET_MB = 600;

let reg: FakeRegistry;
let server: TestServer;
const OTHER = 'file:///hostile/other.json';
const OTHER_TEXT = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [] }, null, 2);

before(async () => {
  reg = await startFakeRegistry();
  const compact = JSON.stringify(JSON.parse(makeIndex(4000)));
  reg.putManifest('big/index', 'compact', compact, INDEX);
  const deep = '{"schemaVersion":2,"mediaType":"' + MANIFEST + '","x":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
  reg.putManifest('deep/doc', 'deep', deep, MANIFEST);
  const deep5k = '{"schemaVersion":2,"mediaType":"' + MANIFEST + '","x":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + '}';
  reg.putManifest('deep/doc', 'deep5k', deep5k, MANIFEST);
  server = await startServer();
  const p = server.diagnostics(OTHER, 1);
  server.open(OTHER, OTHER_TEXT, 1);
  await p;
  // Warm: the first hover loads its code paths.
  for (let i = 0; i < 5; i++) await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: OTHER }, position: { line: 2, character: 20 } });
});
after(async () => {
  await server?.stop();
  await reg?.close();
});

/**
 * Hovers on the other document every 5 ms until `work` settles. The test process is the LSP
 * client too and has to receive and parse the megabyte answer itself (in VS Code that is
 * another process): a 2 ms timer measures this process's own stalls, and the part of a hover's
 * wait that this process spent stalled is not counted against the server (both are printed).
 * Returns the slowest server-side answer in ms, the slowest raw one, and how many were sent.
 */
async function hoverLatencyDuring<T>(work: Promise<T>): Promise<{ result: T; slowest: number; raw: number; hovers: number }> {
  let done = false;
  let last = performance.now();
  let stalled = 0; // ms this process was stalled beyond its timer, accumulated
  const stallTimer = setInterval(() => {
    const now = performance.now();
    if (now - last > 4) stalled += now - last - 2;
    last = now;
  }, 2);
  const settled = work.finally(() => { done = true; });
  let slowest = 0;
  let raw = 0;
  let hovers = 0;
  const loop = (async () => {
    while (!done) {
      const t = performance.now();
      const stalledBefore = stalled;
      await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: OTHER }, position: { line: 2, character: 20 } });
      // The stall timer fires after this continuation; account for a stall still in progress.
      const now = performance.now();
      const ongoing = Math.max(0, now - last - 2);
      const ms = now - t;
      raw = Math.max(raw, ms);
      slowest = Math.max(slowest, ms - Math.min(ms, stalled - stalledBefore + ongoing));
      hovers++;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const result = await settled;
  await loop;
  clearInterval(stallTimer);
  return { result, slowest, raw, hovers };
}

function peakRssMb(): number {
  const status = readFileSync(`/proc/${server.process.pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  assert.ok(m, 'VmHWM in /proc/PID/status');
  return Number(m[1]) / 1024;
}

test('a compact 4,000-entry index is fetched and indented while a hover on another document answers within 100 ms', async () => {
  const fetch = server.connection.sendRequest<RemoteDocument>('manifestLens/inspect', { reference: `${reg.hostPort}/big/index:compact` });
  const started = performance.now();
  const { result: doc, slowest, raw, hovers } = await hoverLatencyDuring(fetch);
  const idle = await idleHovers(performance.now() - started);
  console.log(`hover latency: slowest ${slowest.toFixed(1)} ms (raw ${raw.toFixed(1)} ms, with the test process's own stalls) over ${hovers} hovers while fetching and indenting a ${doc.size}-byte compact index; idle slowest ${idle.toFixed(1)} ms`);
  assert.equal(doc.prettyPrinted, true);
  assert.ok(doc.size > 800_000, `the compact index is ${doc.size} bytes`);
  assert.ok(doc.text.split('\n').length > 4000 * 5, 'indented: one line per field');
  assert.ok(hovers >= 1);
  assert.ok(slowest <= budget(), `slowest hover while fetching and indenting: ${slowest.toFixed(1)} ms over ${hovers} hovers (idle: ${idle.toFixed(1)} ms)`);

  // Opening it lints it; hovers elsewhere still answer.
  const linted = server.diagnostics(doc.uri, 1);
  server.open(doc.uri, doc.text, 1);
  const opened = await hoverLatencyDuring(linted);
  console.log(`hover latency: slowest ${opened.slowest.toFixed(1)} ms (raw ${opened.raw.toFixed(1)} ms) while the opened index is linted`);
});

test('documents nested 5,000 and 100,000 deep are refused at once, shown as served with a warning, and memory stays bounded', async () => {
  for (const tag of ['deep5k', 'deep']) {
    const started = performance.now();
    const fetch = server.connection.sendRequest<RemoteDocument>('manifestLens/inspect', { reference: `${reg.hostPort}/deep/doc:${tag}` });
    const { result: doc, slowest, hovers } = await hoverLatencyDuring(fetch);
    const ms = performance.now() - started;
    const idle = await idleHovers(ms);
    console.log(`${tag}: refused in ${ms.toFixed(0)} ms; slowest hover meanwhile ${slowest.toFixed(1)} ms over ${hovers} (idle ${idle.toFixed(1)} ms)`);
    assert.equal(doc.prettyPrinted, false);
    assert.equal(doc.text.length, doc.size, 'the served text, unchanged');
    assert.ok(doc.warnings.some((w) => /not indented: it nests more than 500 levels deep/.test(w)), doc.warnings.join(' | '));
    assert.ok(ms < 5000, `answered in ${ms.toFixed(0)} ms`);
    assert.ok(slowest <= budget(), `slowest hover while refusing ${tag}: ${slowest.toFixed(1)} ms (idle: ${idle.toFixed(1)} ms)`);
    // Opened, it gets the engine's "too deep" notice instead of a walk that recurses per level.
    const diags = server.diagnostics(doc.uri, 1);
    server.open(doc.uri, doc.text, 1);
    const d = await diags;
    assert.ok(d.length <= 1, JSON.stringify(d));
  }
  const hover = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: OTHER }, position: { line: 2, character: 20 } });
  assert.ok(hover, 'the server still answers');
  const peak = peakRssMb();
  console.log(`server peak RSS: ${peak.toFixed(0)} MB`);
  assert.ok(peak < PEAK_RSS_BUDGET_MB, `server peak RSS ${peak.toFixed(0)} MB`);
});

test('custom requests with missing or mistyped params answer InvalidParams naming the field, never a TypeError, and send nothing (issue 23 item 8)', async () => {
  const seen = reg.requests.length;
  // Each request, its required fields, and a value of the wrong type for them.
  const cases: [string, string[]][] = [
    [Requests.validateReference, ['text']],
    [Requests.inspect, ['reference']],
    [Requests.open, ['uri']],
    [Requests.checkTag, ['uri']],
    [Requests.compare, ['left', 'right']],
    [Requests.explorerRepositories, ['registry']],
    [Requests.explorerTags, ['registry', 'repository']],
    [Requests.explorerGraph, ['reference']],
    [Requests.explorerResolve, ['reference']],
    [Requests.explorerLevel, ['registry', 'repository', 'ref']],
    [Requests.explorerReferrers, ['registry', 'repository', 'digest']],
  ];
  const full = (fields: string[], value: unknown): Record<string, unknown> => Object.fromEntries(fields.map((f) => [f, value]));
  for (const [method, fields] of cases) {
    const sends: [unknown, RegExp][] = [
      [null, /params must be an object; it is null\./],
      [{}, new RegExp(`params\\.${fields[0]} must be (a string|an object); it is missing\\.`)],
      [full(fields, 7), new RegExp(`params\\.${fields[0]} must be (a string|an object); it is a number\\.`)],
      // Every field right but the last.
      [{ ...full(fields.slice(0, -1), fields[0] === 'left' ? { text: '{}' } : `${reg.hostPort}/x`), [fields.at(-1)!]: ['x'] }, new RegExp(`params\\.${fields.at(-1)} must be (a string|an object); it is a list\\.`)],
    ];
    for (const [params, message] of sends) {
      const e = await server.connection.sendRequest(method, params as never).then(
        (r) => assert.fail(`${method} ${JSON.stringify(params)} answered ${JSON.stringify(r)?.slice(0, 200)}`),
        (err: { code?: number; message?: string }) => err,
      );
      assert.equal(e.code, -32602, `${method} ${JSON.stringify(params)}: ${e.code} ${e.message}`);
      assert.ok(e.message?.startsWith(`${method}: `), e.message);
      assert.match(e.message ?? '', message, `${method} ${JSON.stringify(params)}`);
      assert.doesNotMatch(e.message ?? '', /Cannot read|is not a function|TypeError|undefined/);
    }
  }
  const bad = await server.connection.sendRequest(Requests.explorerRegistries, { added: 'x' }).then(() => undefined, (err: { code?: number; message?: string }) => err);
  assert.equal(bad?.code, -32602);
  assert.match(bad?.message ?? '', /params\.added must be a list of strings when given; it is a string\./);
  assert.deepEqual(await server.connection.sendRequest(Requests.explorerRegistries, null), [], 'the registries need no params');
  const side = await server.connection.sendRequest(Requests.compare, { left: { text: 5 }, right: { text: '{}' } }).then(() => undefined, (err: { code?: number; message?: string }) => err);
  assert.match(side?.message ?? '', /params\.left\.text must be a string when given; it is a number\./);
  // (Deep inspection of the documents opened above may still be asking for their children.)
  assert.deepEqual(reg.requests.slice(seen).filter((r) => /^\/v2\/(x\/|_catalog)/.test(r.path)), [], 'no request reached the registry');
  const hover = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: OTHER }, position: { line: 2, character: 20 } });
  assert.ok(hover, 'the server still answers');
});
