/**
 * Writes docs/rules.md from the rule table: one entry per rule (id, severity, what, why,
 * source, fix). The diagnostics' codeDescription links point at these anchors.
 * Run: node --import tsx scripts/gen-docs.ts  (test/docs checks it is up to date)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRulesDoc } from './rulesDoc';

const out = join(__dirname, '..', 'docs', 'rules.md');
writeFileSync(out, renderRulesDoc());
console.log(`wrote ${out}`);
