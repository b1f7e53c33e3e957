/**
 * Registry or document text inside a message the editor shows (a notification, the Problems
 * panel, an error answer): one line, and nothing that changes how it reads or acts. C0/C1
 * control characters, line and paragraph separators and the bidi controls (which reorder what
 * follows them, so a name can read as another) become one space; `[label](target)` is broken to
 * `[label] (target)`, since a notification renders that as a link, `command:` links included,
 * which run a command when clicked. Imports nothing, like the rest of common/.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]+/g;

/** Only the first half of {@link messageText}: one line, no control or bidi characters (for text that is no notification: a lens title, a code span). */
export function oneLineText(text: string): string {
  return text.replace(UNSAFE, ' ');
}

export function messageText(text: string, max = Infinity): string {
  const t = oneLineText(text).replace(/\]\s*\(/g, '] (');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
