/** Display form of served bytes: pretty-printed by tokens, so nothing but whitespace changes. */
import { applyEdits, format } from 'jsonc-parser';

/** Indents single-line JSON; text that already has line breaks is returned as it is. */
export function prettyPrint(text: string): { text: string; changed: boolean } {
  if (text.includes('\n') || text.length > 8 * 1024 * 1024) return { text, changed: false };
  const edits = format(text, undefined, { insertSpaces: true, tabSize: 2, eol: '\n', insertFinalNewline: true });
  if (edits.length === 0) return { text, changed: false };
  return { text: applyEdits(text, edits), changed: true };
}
