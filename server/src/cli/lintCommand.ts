import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
/** Argument handling and output of `lint`. */
import { LAYOUT_CHECKS } from '../engine/layoutFindings';
import { RULES_BY_ID } from '../engine/ruleTable';
import type { RuleSetting } from '../engine/analyze';
import { toGithub, toSarif } from './formats';
import { countsText, failExitCode, parseFailOn, lintFile, lintStdin, writeFindings, type FailOn, type LintFileResult } from './lint';
import { lintLayout, looksLikeLayout } from './layoutLint';
import { echoed, safeWriter, takeTerminalOptions, terminalSafe, terminalStyle } from './terminalText';

const SETTINGS = new Set(['off', 'hint', 'info', 'warning', 'error']);

/**
 * What lint says of JSON that is not a manifest, index, config, descriptor or layout header
 * (package.json, `[1,2,3]`).
 */
export const NOT_A_DOCUMENT = 'not an OCI/Docker document (no schemaVersion, mediaType, config/layers, manifests or rootfs): nothing to check';

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (e) {
    // Only "no such file" is a usage error; a file that cannot be read is reported as such.
    return (e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR';
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The .json files under a folder, sorted, leaving out node_modules and dot-folders (.git, …). */
function jsonFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && !e.name.startsWith('.')) walk(join(d, e.name));
      } else if (e.isFile() && e.name.toLowerCase().endsWith('.json')) {
        out.push(join(d, e.name));
      }
    }
  };
  walk(dir);
  return out;
}

const FORMATS = new Set(['text', 'json', 'sarif', 'github']);
export function runLint(argv: string[], out: NodeJS.WritableStream, rawErr: NodeJS.WritableStream, version = '0.0.0'): number {
  // Every message on stderr goes through the net: no control character of a file's reaches the terminal.
  const err = safeWriter(rawErr);
  const terminal = takeTerminalOptions(argv);
  if (typeof terminal === 'string') {
    err.write(`${terminal}\n`);
    return 2;
  }
  const args = terminal.rest;
  let format = 'text';
  let failOn: FailOn = 'error';
  let stdinName = '<stdin>';
  const rules: Record<string, RuleSetting> = {};
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--format') format = args[++i] ?? '';
    else if (a.startsWith('--format=')) format = a.slice(9);
    else if (a === '--stdin-name') stdinName = args[++i] ?? stdinName;
    else if (a.startsWith('--stdin-name=')) stdinName = a.slice('--stdin-name='.length);
    else if (a === '--fail-on' || a.startsWith('--fail-on=')) {
      const v = a === '--fail-on' ? args[++i] ?? '' : a.slice('--fail-on='.length);
      const parsed = parseFailOn(v);
      if ('error' in parsed) {
        err.write(`${parsed.error}\n`);
        return 2;
      }
      failOn = parsed.failOn;
    }
    else if (a === '--rule' || a.startsWith('--rule=')) {
      const spec = a === '--rule' ? args[++i] ?? '' : a.slice(7);
      const [id, sev] = spec.split('=');
      if (!(RULES_BY_ID.has(id) || id in LAYOUT_CHECKS) || !SETTINGS.has(sev)) {
        err.write(`--rule expects ID=off|hint|info|warning|error with a known rule id (\`rules\` lists them), got "${echoed(spec)}"\n`);
        return 2;
      }
      rules[id] = sev as RuleSetting;
    } else if (a === '--') files.push(...args.slice(i + 1)), (i = args.length);
    else if (a.startsWith('-') && a !== '-') {
      err.write(`unknown option ${a}\n`);
      return 2;
    } else files.push(a);
  }
  if (!FORMATS.has(format)) {
    err.write(`--format must be ${[...FORMATS].join(', ')}, got "${echoed(format)}"\n`);
    return 2;
  }
  if (files.length === 0) {
    err.write('lint: no files given (a file, a folder, or - for standard input)\n');
    return 2;
  }
  if (files.filter((f) => f === '-').length > 1) {
    err.write('lint: standard input (-) can be given once\n');
    return 2;
  }
  // A path that does not exist is a mistake on the command line (a typo, a glob that matched
  // nothing), not a finding about a manifest.
  const missing = files.filter((f) => f !== '-' && !exists(f));
  if (missing.length > 0) {
    for (const f of missing) err.write(`lint: ${terminalSafe(f)}: no such file or folder\n`);
    return 2;
  }
  // `-` is standard input (`crane manifest REF | manifest-lens lint -`); a folder stands for the
  // .json files under it.
  const expanded: string[] = [];
  const layouts = new Map<string, LintFileResult[]>();
  for (const f of files) {
    if (f === '-' || !isDirectory(f)) { expanded.push(f); continue; }
    // An OCI image layout (oci-layout, or index.json and blobs/) is linted as a whole, a broken
    // one too (layout-invalid says what is missing or not a regular file): cli/layoutLint.ts.
    if (looksLikeLayout(f)) { expanded.push(f); layouts.set(f, lintLayout(f, { rules })); continue; }
    const found = jsonFilesUnder(f);
    if (found.length === 0) err.write(`lint: no .json files under ${terminalSafe(f)}\n`);
    expanded.push(...found);
  }
  if (expanded.length === 0) return 2;
  const results = expanded.flatMap((f) => layouts.get(f) ?? [f === '-' ? lintStdin(stdinName, { rules }) : lintFile(f, { rules })]);
  if (format === 'json') {
    out.write(JSON.stringify(results, null, 2) + '\n');
  } else if (format === 'sarif') {
    out.write(JSON.stringify(toSarif(results, version), null, 2) + '\n');
  } else if (format === 'github') {
    out.write(toGithub(results));
  } else {
    const counts = writeFindings(results, out, terminalStyle(out, terminal));
    // A JSON file that is not a manifest passes without findings: say so, or "0 errors" reads
    // as a clean manifest.
    const notDocuments = results.filter((r) => r.kind === 'unknown' && r.findings.length === 0);
    for (const r of notDocuments) err.write(`${terminalSafe(r.file)}: note: ${NOT_A_DOCUMENT}\n`);
    const note = notDocuments.length === 0 ? '' : ` (${notDocuments.length === results.length && results.length === 1 ? 'it is' : `${notDocuments.length} ${notDocuments.length === 1 ? 'is' : 'are'}`} not an OCI/Docker document)`;
    err.write(`${results.length} file${results.length === 1 ? '' : 's'} checked: ${countsText(counts)}${note}\n`);
  }
  // Exit 1 when a finding is at least as severe as --fail-on (default: error).
  return failExitCode(results, failOn);
}
