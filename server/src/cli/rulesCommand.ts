/**
 * `manifest-lens rules [--format text|json] [ID…]`: the rule reference in the terminal, from the
 * same table the language server and docs/rules.md use. Without ids, one line per rule; with
 * ids, each rule in full (what, why, source, spec link, fix, where it applies).
 */
import { KIND_TITLES } from '../engine/documentKind';
import { LAYOUT_CHECKS } from '../engine/layoutFindings';
import { RULES, RULES_BY_ID } from '../engine/ruleTable';
import type { Rule } from '../engine/types';
import { AUDIT_CHECKS, GRAPH_CHECKS } from '../graph/checks';
import { FILE_PROBLEMS } from './formats';
import { programName } from './program';
import { echoed } from './terminalText';

function full(rule: Rule): string {
  const lines = [
    `${rule.id} (${rule.severity})`,
    `  ${rule.description}`,
    `  Why: ${rule.why}`,
    `  Source: ${rule.source}`,
  ];
  if (rule.specUrl) lines.push(`  Spec: ${rule.specUrl}`);
  if (rule.fix) lines.push(`  Quick-fix: ${rule.fix}`);
  lines.push(`  Applies to: ${rule.appliesTo.map((k) => KIND_TITLES[k]).join(', ')}${rule.fetchedOnly ? ' (documents fetched from a registry)' : ''}`);
  return lines.join('\n') + '\n';
}

function fileProblem(id: string): string {
  return `${id} (error)\n  ${FILE_PROBLEMS[id]}\n  Not a rule of the engine: lint reports it for the file as a whole, and it cannot be turned off.\n`;
}

function graphCheck(id: string): string {
  const c = GRAPH_CHECKS[id];
  return `${id} (${c.severity})\n  ${c.description}\n  Why: ${c.why}\n  Source: ${c.source}\n  A deep inspection check: \`tree\` and fetched indexes in the editor report it on the index entry.\n`;
}

function auditCheck(id: string): string {
  const c = AUDIT_CHECKS[id as keyof typeof AUDIT_CHECKS];
  return `${id} (${c.severity})\n  ${c.description}\n  Why: ${c.why}\n  Source: ${c.source}\n  A registry audit check: \`audit\` and Audit Registry… in the editor report it on the tagged document.\n`;
}

function layoutCheck(id: string): string {
  const c = LAYOUT_CHECKS[id];
  return `${id} (${c.severity})\n  ${c.description}\n  Why: ${c.why}\n  Source: ${c.source}\n`
    + `  An OCI image layout check: \`lint DIR\` and the editor report it on the descriptor that points at the blob; \`lint --rule ${id}=off\` and the manifestLens.rules setting change it.\n`;
}

/** Every id `rules` knows: the table's rules, the layout and deep inspection checks, and the file problems. */
const known = (id: string): boolean => RULES_BY_ID.has(id) || id in LAYOUT_CHECKS || id in GRAPH_CHECKS || id in AUDIT_CHECKS || id in FILE_PROBLEMS;

/** Ids that share a word with an unknown id, for the error message. */
function similar(id: string): string[] {
  const words = id.split('-').filter((w) => w.length > 2);
  return [...RULES.map((r) => r.id), ...Object.keys(LAYOUT_CHECKS), ...Object.keys(GRAPH_CHECKS), ...Object.keys(AUDIT_CHECKS)].filter((k) => words.some((w) => k.includes(w))).slice(0, 8);
}

export function runRules(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  let format = 'text';
  const ids: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--format') format = args[++i] ?? '';
    else if (args[i].startsWith('--format=')) format = args[i].slice('--format='.length);
    else if (args[i].startsWith('-')) { err.write(`rules: unknown option ${echoed(args[i], 100)}\n`); return 2; }
    else ids.push(args[i]);
  }
  if (format !== 'text' && format !== 'json') { err.write(`rules: --format must be text or json, not "${echoed(format, 100)}"\n`); return 2; }
  const unknown = ids.filter((id) => !known(id));
  if (unknown.length > 0) {
    for (const id of unknown) {
      const near = similar(id);
      err.write(`rules: no rule "${echoed(id, 100)}"${near.length ? `; similar: ${near.join(', ')}` : ''}. \`${programName()} rules\` lists them all.\n`);
    }
    return 2;
  }
  const fileProblems = ids.filter((id) => id in FILE_PROBLEMS);
  const chosen = ids.length ? ids.filter((id) => RULES_BY_ID.has(id)).map((id) => RULES_BY_ID.get(id)!) : [...RULES];
  if (format === 'json') {
    out.write(JSON.stringify(chosen.map(({ check: _check, ...rest }) => rest), null, 2) + '\n');
    return 0;
  }
  if (ids.length) {
    out.write([...chosen.map(full), ...ids.filter((id) => id in LAYOUT_CHECKS).map(layoutCheck), ...fileProblems.map(fileProblem), ...ids.filter((id) => id in GRAPH_CHECKS).map(graphCheck), ...ids.filter((id) => id in AUDIT_CHECKS).map(auditCheck)].join('\n'));
    return 0;
  }
  const width = Math.max(...chosen.map((r) => r.id.length));
  for (const r of chosen) out.write(`${r.id.padEnd(width)}  ${r.severity.padEnd(7)}  ${r.description}\n`);
  out.write(`\nOCI image layout checks (lint DIR, layouts in the editor): ${Object.keys(LAYOUT_CHECKS).join(', ')}.\n`);
  out.write(`\nDeep inspection checks (tree, fetched indexes): ${Object.keys(GRAPH_CHECKS).join(', ')}.\n`);
  out.write(`\nRegistry audit checks (audit): ${Object.keys(AUDIT_CHECKS).join(', ')}.\n`);
  out.write(`\nNot rules: what lint reports for a file it cannot lint (always an error): ${Object.keys(FILE_PROBLEMS).join(', ')}.\n`);
  out.write(`\n${chosen.length} rules. \`${programName()} rules ID\` explains one; \`lint --rule ID=off\` turns one off.\n`);
  return 0;
}
