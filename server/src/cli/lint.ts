/** `manifest-lens lint FILE…`: the engine over files, for build pipelines. */
import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { analyze, type AnalyzeOptions } from '../engine/analyze';
import { lineStarts, positionAt } from '../engine/position';
import { SEVERITY_ORDER, type Severity } from '../engine/types';
import type { FailOn } from './failOn';
import { paint, PLAIN_STYLE, SEVERITY_PAINT, terminalSafe, type TerminalStyle } from './terminalText';

export interface LintFileResult {
  readonly file: string;
  readonly kind: string;
  /** Findings past MAX_FINDINGS, counted but not listed, and the most severe of them. */
  readonly omitted?: { readonly count: number; readonly worst: Severity };
  readonly findings: readonly {
    readonly ruleId: string;
    readonly severity: Severity;
    readonly message: string;
    readonly line: number;
    readonly column: number;
    readonly endLine: number;
    readonly endColumn: number;
  }[];
}

/** Files larger than this are reported, not read (the CLI has no reason to lint a 50 MB blob). */
export const MAX_LINT_BYTES = 64 * 1024 * 1024;

/** The most findings listed for one document, as the editor's manifestLens.validate.maxProblems default. */
export const MAX_FINDINGS = 1000;

/**
 * Reads `fd` to its end, but never more than MAX_LINT_BYTES + 1 bytes: a character device
 * (/dev/zero reports size 0) or an endless standard input stops at the limit instead of
 * growing without bound. `undefined` means over the limit.
 */
function readBounded(fd: number): Buffer | undefined {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, MAX_LINT_BYTES + 1 - total));
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      // A non-blocking standard input with nothing yet: wait a little and read again.
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      throw err;
    }
    if (n === 0) return Buffer.concat(chunks, total);
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    total += n;
    if (total > MAX_LINT_BYTES) return undefined;
  }
}

/** A file that could not be linted: one error finding for it as a whole (formats.ts FILE_PROBLEMS). */
function fileProblem(file: string, ruleId: 'file-unreadable' | 'file-too-large', message: string): LintFileResult {
  return { file, kind: 'unknown', findings: [{ ruleId, severity: 'error', message, line: 1, column: 1, endLine: 1, endColumn: 1 }] };
}

function tooLarge(file: string, bytes: number | undefined): LintFileResult {
  const size = bytes === undefined ? `is larger than ${MAX_LINT_BYTES / 1048576} MiB (stopped reading there)` : `is ${(bytes / 1048576).toFixed(1)} MiB`;
  return fileProblem(file, 'file-too-large', `${size}; the linter reads at most ${MAX_LINT_BYTES / 1048576} MiB`);
}

/** Lints one file. Never throws: unreadable, binary or non-JSON files become one finding. */
export function lintFile(file: string, options: AnalyzeOptions = {}): LintFileResult {
  const fail = (ruleId: 'file-unreadable', message: string): LintFileResult => fileProblem(file, ruleId, message);
  let bytes: Buffer | undefined;
  try {
    const st = statSync(file);
    if (st.isDirectory()) return fail('file-unreadable', 'is a directory');
    if (st.size > MAX_LINT_BYTES) return tooLarge(file, st.size);
    // The size of a device or a pipe says nothing (0): the read itself is bounded.
    const fd = openSync(file, 'r');
    try {
      bytes = readBounded(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    return fail('file-unreadable', (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!bytes) return tooLarge(file, undefined);
  return lintBytes(file, bytes, options);
}

/** Lints what arrives on standard input, reported under `name`. */
export function lintStdin(name: string, options: AnalyzeOptions = {}): LintFileResult {
  let bytes: Buffer | undefined;
  try {
    bytes = readBounded(0);
  } catch (err) {
    return fileProblem(name, 'file-unreadable', `standard input cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!bytes) return tooLarge(name, undefined);
  return lintBytes(name, bytes, options);
}

export function lintBytes(file: string, bytes: Uint8Array, options: AnalyzeOptions = {}): LintFileResult {
  let text: string;
  try {
    // isUtf8 + toString rather than a fatal TextDecoder: the same check and text (a leading BOM
    // dropped, as TextDecoder does) without initialising a decoder at every CLI start (issue 13).
    if (!isUtf8(bytes)) throw new Error('not UTF-8');
    text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  } catch {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (it is gzip data)' : '';
    return { file, kind: 'unknown', findings: [{ ruleId: 'json-invalid', severity: 'error', message: `not JSON: the file is binary, not UTF-8 text${gz}`, line: 1, column: 1, endLine: 1, endColumn: 1 }] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Capped like the editor's maxProblems: a document with 400,000 bad annotation keys gives
  // the first thousand findings and a count, not 130 MB of output.
  const a = analyze(text, { maxFindings: MAX_FINDINGS, ...options });
  const starts = lineStarts(text);
  if (a.syntaxErrors.length > 0) {
    const e = a.syntaxErrors[0];
    const p = positionAt(starts, e.offset);
    const more = a.syntaxErrors.length > 1 ? ` (and ${a.syntaxErrors.length - 1} more syntax errors)` : '';
    const message = e.tooDeep ? `not linted: the JSON is ${e.message}` : `not valid JSON: ${e.message}${more}`;
    return { file, kind: a.kind, findings: [{ ruleId: 'json-invalid', severity: 'error', message, line: p.line + 1, column: p.character + 1, endLine: p.line + 1, endColumn: p.character + 1 }] };
  }
  return {
    file,
    kind: a.kind,
    ...(a.truncated > 0 ? { omitted: { count: a.truncated, worst: a.truncatedWorst ?? 'hint' } } : {}),
    findings: a.findings.map((f) => {
      const s = positionAt(starts, f.offset);
      const e = positionAt(starts, f.offset + f.length);
      return { ruleId: f.ruleId, severity: f.severity, message: f.message, line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
    }),
  };
}

export function worstSeverity(results: readonly LintFileResult[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const r of results) {
    for (const f of r.findings) if (!worst || SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[worst]) worst = f.severity;
    if (r.omitted && (!worst || SEVERITY_ORDER[r.omitted.worst] < SEVERITY_ORDER[worst])) worst = r.omitted.worst;
  }
  return worst;
}

export { FAIL_ON, isFailOn, parseFailOn, type FailOn } from './failOn';

/** 1 when a finding is at least as severe as `failOn`, else 0 ('never': always 0). */
export function failExitCode(results: readonly LintFileResult[], failOn: FailOn): 0 | 1 {
  if (failOn === 'never') return 0;
  const worst = worstSeverity(results);
  return worst !== undefined && SEVERITY_ORDER[worst] <= SEVERITY_ORDER[failOn] ? 1 : 0;
}

/**
 * Writes `file:line:col severity rule-id message` lines; returns the counts per severity. File
 * names (a folder's) and messages (which quote the documents) are escaped for the terminal: a
 * newline in either would forge a finding. With a colour style the severity is coloured.
 */
export function writeFindings(results: readonly LintFileResult[], out: NodeJS.WritableStream, style: TerminalStyle = PLAIN_STYLE): Record<Severity, number> {
  const counts = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const r of results) {
    const file = terminalSafe(r.file);
    for (const f of r.findings) {
      counts[f.severity]++;
      out.write(`${file}:${f.line}:${f.column} ${paint(style, SEVERITY_PAINT[f.severity], f.severity)} ${terminalSafe(f.ruleId)} ${terminalSafe(f.message)}\n`);
    }
    if (r.omitted) {
      out.write(`${file}: ${r.omitted.count.toLocaleString('en-US')} more findings not shown (the first ${r.findings.length.toLocaleString('en-US')} are; the most severe of the rest is ${r.omitted.worst})\n`);
    }
  }
  return counts;
}

/** "1 error, 2 warnings, 0 infos, 0 hints". */
export function countsText(counts: Readonly<Record<Severity, number>>): string {
  const one = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${one(counts.error, 'error')}, ${one(counts.warning, 'warning')}, ${one(counts.info, 'info')}, ${one(counts.hint, 'hint')}`;
}
