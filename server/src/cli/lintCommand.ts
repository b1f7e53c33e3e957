/** Argument handling and output of `lint`. */
import { RULES_BY_ID } from '../engine/ruleTable';
import type { RuleSetting } from '../engine/analyze';
import { toGithub, toSarif } from './formats';
import { lintFile, lintStdin, worstSeverity } from './lint';
import { SEVERITY_ORDER } from '../engine/types';

const SETTINGS = new Set(['off', 'hint', 'info', 'warning', 'error']);

const FORMATS = new Set(['text', 'json', 'sarif', 'github']);
const FAIL_ON = ['error', 'warning', 'info', 'hint', 'never'] as const;
type FailOn = (typeof FAIL_ON)[number];

export function runLint(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream, version = '0.0.0'): number {
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
      if (!(FAIL_ON as readonly string[]).includes(v)) {
        err.write(`--fail-on expects ${FAIL_ON.join('|')}, got "${v}"\n`);
        return 2;
      }
      failOn = v as FailOn;
    }
    else if (a === '--rule' || a.startsWith('--rule=')) {
      const spec = a === '--rule' ? args[++i] ?? '' : a.slice(7);
      const [id, sev] = spec.split('=');
      if (!RULES_BY_ID.has(id) || !SETTINGS.has(sev)) {
        err.write(`--rule expects ID=off|hint|info|warning|error with a known rule id, got "${spec}"\n`);
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
    err.write(`--format must be ${[...FORMATS].join(', ')}, got "${format}"\n`);
    return 2;
  }
  if (files.length === 0) {
    err.write('lint: no files given\n');
    return 2;
  }
  if (files.filter((f) => f === '-').length > 1) {
    err.write('lint: standard input (-) can be given once\n');
    return 2;
  }
  // `-` is standard input: `crane manifest REF | manifest-lens lint -`.
  const results = files.map((f) => (f === '-' ? lintStdin(stdinName, { rules }) : lintFile(f, { rules })));
  if (format === 'json') {
    out.write(JSON.stringify(results, null, 2) + '\n');
  } else if (format === 'sarif') {
    out.write(JSON.stringify(toSarif(results, version), null, 2) + '\n');
  } else if (format === 'github') {
    out.write(toGithub(results));
  } else {
    for (const r of results) {
      for (const f of r.findings) out.write(`${r.file}:${f.line}:${f.column} ${f.severity} ${f.ruleId} ${f.message}\n`);
    }
    const counts = { error: 0, warning: 0, info: 0, hint: 0 };
    for (const r of results) for (const f of r.findings) counts[f.severity]++;
    err.write(`${results.length} file${results.length === 1 ? '' : 's'} checked: ${counts.error} errors, ${counts.warning} warnings, ${counts.info} infos, ${counts.hint} hints\n`);
  }
  // Exit 1 when a finding is at least as severe as --fail-on (default: error).
  if (failOn === 'never') return 0;
  const worst = worstSeverity(results);
  return worst !== undefined && SEVERITY_ORDER[worst] <= SEVERITY_ORDER[failOn] ? 1 : 0;
}
