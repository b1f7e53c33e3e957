/**
 * Where a rule's documentation lives. The extension ships docs/rules.md (generated from the rule
 * table); a diagnostic's link opens that file at the rule's heading (`file:///…/rules.md#L226`,
 * which VS Code opens with the line selected), offline and for the version installed. Only when
 * the file is missing (the server run on its own from elsewhere) does the link fall back to the
 * repository's copy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const RULE_DOCS_ONLINE = 'https://github.com/manifest-lens/manifest-lens/blob/main/docs/rules.md';

/** dist/server.js → ../docs; server/src/lsp (tests run the sources) → ../../../docs. */
const CANDIDATES = [join(__dirname, '..', 'docs', 'rules.md'), join(__dirname, '..', '..', '..', 'docs', 'rules.md')];

interface LocalDocs {
  readonly href: string;
  /** Rule id → 1-based line of its `## rule-id` heading. */
  readonly lines: ReadonlyMap<string, number>;
}

let local: LocalDocs | null | undefined;

/** The shipped rule reference and its headings, read once. */
export function localRuleDocs(): LocalDocs | undefined {
  if (local === undefined) {
    local = null;
    const file = CANDIDATES.find((f) => existsSync(f));
    if (file) {
      const lines = new Map<string, number>();
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        const m = /^## ([a-z0-9][a-z0-9-]*)\s*$/.exec(line);
        if (m) lines.set(m[1], i + 1);
      });
      local = { href: pathToFileURL(file).href, lines };
    }
  }
  return local ?? undefined;
}

export function ruleDocUrl(ruleId: string): string {
  const docs = localRuleDocs();
  const line = docs?.lines.get(ruleId);
  return docs && line ? `${docs.href}#L${line}` : `${RULE_DOCS_ONLINE}#${ruleId}`;
}
