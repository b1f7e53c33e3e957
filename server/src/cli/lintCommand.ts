/** Argument handling and output of `lint`. */
import { RULES_BY_ID } from '../engine/ruleTable';
import type { RuleSetting } from '../engine/analyze';
import { lintFile, worstSeverity } from './lint';

const SETTINGS = new Set(['off', 'hint', 'info', 'warning', 'error']);

export function runLint(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  let format = 'text';
  const rules: Record<string, RuleSetting> = {};
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--format') format = args[++i] ?? '';
    else if (a.startsWith('--format=')) format = a.slice(9);
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
  if (format !== 'text' && format !== 'json') {
    err.write(`--format must be text or json, got "${format}"\n`);
    return 2;
  }
  if (files.length === 0) {
    err.write('lint: no files given\n');
    return 2;
  }
  const results = files.map((f) => lintFile(f, { rules }));
  if (format === 'json') {
    out.write(JSON.stringify(results, null, 2) + '\n');
  } else {
    for (const r of results) {
      for (const f of r.findings) out.write(`${r.file}:${f.line}:${f.column} ${f.severity} ${f.ruleId} ${f.message}\n`);
    }
    const counts = { error: 0, warning: 0, info: 0, hint: 0 };
    for (const r of results) for (const f of r.findings) counts[f.severity]++;
    err.write(`${results.length} file${results.length === 1 ? '' : 's'} checked: ${counts.error} errors, ${counts.warning} warnings, ${counts.info} infos, ${counts.hint} hints\n`);
  }
  return worstSeverity(results) === 'error' ? 1 : 0;
}
