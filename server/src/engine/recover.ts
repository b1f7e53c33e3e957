/**
 * Linting while the text is briefly broken (a trailing comma, a missing comma, an entry half
 * typed, a string not yet closed). jsonc-parser recovers a tree from such text; this file says
 * which part of that tree cannot be trusted, and carries the previous version's findings through
 * an edit for that part, so a problem away from the broken spot neither blinks nor moves.
 *
 * Pure: offsets in, offsets out.
 */
import type { Node, SyntaxError } from './json';
import type { Edit, Finding, Fix } from './types';

/** A range of the text, [offset, offset + length]. */
export interface Span {
  readonly offset: number;
  readonly length: number;
}

/**
 * The containers (objects, arrays) that the syntax errors fall in: for each error, the innermost
 * one whose inside holds the error's offset. An error at the very start of a container (a comma
 * missing before an entry) belongs to the container around it; one at the end of the text (a
 * bracket never closed) to the innermost container still open there. A container that is a
 * property's value is given as that property (key and value).
 *
 * A container whose only errors are missing commas is not damaged: jsonc-parser reports the
 * comma and reads the next member whole (a member it could not read would be a second error in
 * the same container), so its tree is the tree of the text with the commas put back. This is
 * what lets a missing comma pasted or formatted in as a whole new text, with no previous version
 * to carry findings from, keep every finding (issue 24).
 */
export function damagedContainers(root: Node, errors: readonly SyntaxError[]): Node[] {
  const byContainer = new Map<Node, boolean>();
  for (const e of errors) {
    let best: Node | undefined;
    const visit = (n: Node): void => {
      const inside = e.offset > n.offset && e.offset <= n.offset + n.length;
      if (!inside && n !== root) return;
      if ((n.type === 'object' || n.type === 'array') && (inside || !best)) best = n;
      for (const c of n.children ?? []) visit(c);
    };
    visit(root);
    const d = best ?? root;
    // A damaged object that is a property's value takes its key along: findings about an object
    // ("config is missing digest") are reported on the key.
    const container = d.parent?.type === 'property' ? d.parent : d;
    const harmless = e.code === 'CommaExpected' && (d.type === 'object' || d.type === 'array');
    byContainer.set(container, (byContainer.get(container) ?? false) || !harmless);
  }
  return [...byContainer].filter(([, damaged]) => damaged).map(([container]) => container);
}

function overlaps(a: Span, b: Span): boolean {
  const aEnd = a.offset + a.length;
  const bEnd = b.offset + b.length;
  if (a.length === 0) return a.offset >= b.offset && a.offset <= bEnd;
  if (b.length === 0) return b.offset >= a.offset && b.offset <= aEnd;
  return a.offset < bEnd && b.offset < aEnd;
}

/** The innermost node whose range covers the whole span. */
function coveringNode(root: Node, span: Span): Node | undefined {
  const end = span.offset + span.length;
  const covers = (n: Node): boolean => n.offset <= span.offset && end <= n.offset + n.length;
  if (!covers(root)) return undefined;
  let cur = root;
  for (;;) {
    const inner = cur.children?.find(covers);
    if (!inner) return cur;
    cur = inner;
  }
}

/**
 * Whether a finding at `span` may depend on what the damage hides: it lies in a damaged
 * container, or it is reported on a node that holds one (a "layers is missing" on the top `{`,
 * a check of a whole array): such a node's contents are not known while the text is broken.
 */
export function isSuspect(root: Node, damaged: readonly Node[], span: Span): boolean {
  if (damaged.some((d) => overlaps(span, d))) return true;
  const n = coveringNode(root, span);
  if (!n) return true;
  return damaged.some((d) => n.offset <= d.offset && d.offset + d.length <= n.offset + n.length);
}

/** Whether a fix edits inside the damage (its edits were made from a guess of that part). */
export function touchesDamage(damaged: readonly Node[] | undefined, fix: Fix): boolean {
  return !!damaged && fix.edits.some((e) => damaged.some((d) => overlaps(e, d)));
}

/** A finding of the recovered tree, or undefined when it cannot be trusted; fixes that touch the damage are dropped. */
export function trustedFinding(root: Node, damaged: readonly Node[], f: Finding): Finding | undefined {
  if (isSuspect(root, damaged, f)) return undefined;
  const fixes = f.fixes.filter((fix) => !touchesDamage(damaged, fix));
  return fixes.length === f.fixes.length ? f : { ...f, fixes };
}

/** The one replaced region between two texts: common prefix and suffix. Several keystrokes between two versions make one region. */
export interface TextChange {
  /** Where the change starts (same in both texts). */
  readonly start: number;
  /** Where it ends in the old text. */
  readonly oldEnd: number;
  /** How much longer the new text is. */
  readonly delta: number;
}

export function diffTexts(oldText: string, newText: string): TextChange {
  const max = Math.min(oldText.length, newText.length);
  let start = 0;
  while (start < max && oldText.charCodeAt(start) === newText.charCodeAt(start)) start++;
  let suffix = 0;
  while (suffix < max - start && oldText.charCodeAt(oldText.length - 1 - suffix) === newText.charCodeAt(newText.length - 1 - suffix)) suffix++;
  return { start, oldEnd: oldText.length - suffix, delta: newText.length - oldText.length };
}

/** A span of the old text moved to the new one; undefined when the change rewrote part of it. */
export function mapSpan(span: Span, c: TextChange): Span | undefined {
  const end = span.offset + span.length;
  if (end <= c.start) return span; // before the change
  if (span.offset >= c.oldEnd) return { offset: span.offset + c.delta, length: span.length };
  // The change is inside: a finding on a node that holds the edit (a whole array, the top `{…}`)
  // grows or shrinks with it, as long as its ends are untouched.
  if (span.offset < c.start && end > c.oldEnd) return { offset: span.offset, length: span.length + c.delta };
  return undefined;
}

/** A fix's edits must keep their exact extent: a fix with an edit the change reached is stale. */
function mapFix(fix: Fix, c: TextChange): Fix | undefined {
  const edits: Edit[] = [];
  for (const e of fix.edits) {
    if (e.offset + e.length <= c.start) edits.push(e);
    else if (e.offset >= c.oldEnd) edits.push({ ...e, offset: e.offset + c.delta });
    else return undefined;
  }
  return { ...fix, edits };
}

/** A previous version's finding moved through the change, its fixes with it (a fix the change reached is dropped). */
export function mapFinding(f: Finding, c: TextChange): Finding | undefined {
  const span = mapSpan(f, c);
  if (!span) return undefined;
  const fixes: Fix[] = [];
  for (const fix of f.fixes) {
    const m = mapFix(fix, c);
    if (m) fixes.push(m);
  }
  return { ...f, offset: span.offset, length: span.length, fixes };
}

/** One finding per rule and place. */
function key(f: Finding): string {
  return `${f.ruleId} ${f.offset} ${f.length}`;
}

/**
 * The findings of a broken version: those of the recovered tree that can be trusted, and for the
 * damaged part, the previous version's findings moved through the edit. `previous` is the last
 * version analysed (itself possibly broken and merged the same way).
 */
export function mergeWithPrevious(
  current: { readonly text: string; readonly root: Node | undefined; readonly damaged: readonly Node[]; readonly findings: readonly Finding[] },
  previous: { readonly text: string; readonly findings: readonly Finding[] } | undefined,
): Finding[] {
  const out = [...current.findings];
  if (!previous) return out;
  const change = diffTexts(previous.text, current.text);
  // A set, not a scan: an index with thousands of findings carries thousands over.
  const seen = new Set(out.map(key));
  for (const f of previous.findings) {
    const moved = mapFinding(f, change);
    if (!moved) continue;
    // Where the recovered tree can be trusted, it has the last word (a problem fixed there is gone).
    if (current.root && !isSuspect(current.root, current.damaged, moved)) continue;
    if (seen.has(key(moved))) continue;
    seen.add(key(moved));
    out.push(moved);
  }
  return out;
}
