/** Where a rule's documentation lives: its entry in the README's rule reference. */
export const RULE_DOCS_BASE = 'https://github.com/manifest-lens/manifest-lens/blob/main/docs/rules.md';

export function ruleDocUrl(ruleId: string): string {
  return `${RULE_DOCS_BASE}#${ruleId}`;
}
