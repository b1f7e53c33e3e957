/**
 * The words of the registry explorer's rows (client/src/explorer.ts), kept apart from VS Code so
 * that they are tested as plain functions. A row is read at the view's default width (about 35
 * characters of label): the short label comes first, the detail goes in the description (which
 * VS Code cuts first) and the tooltip. Every string here may carry registry text: the client shows
 * it as plain text or escaped Markdown, never as trusted Markdown.
 */

/** A problem as the rows need it (protocol.ts GraphProblem; common/ files import nothing). */
interface GraphProblem {
  readonly ruleId: string;
  readonly severity: 'error' | 'warning' | 'info' | 'hint';
  readonly message: string;
}

/** A node as levelProblems needs it (protocol.ts GraphNode). */
interface GraphNode {
  readonly problems: readonly GraphProblem[];
  readonly children: readonly GraphNode[];
}

/** `sha256:` and the first 12 hex digits, as the explorer's descriptions show a digest. */
export function shortDigest(digest: string): string {
  return digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]{52}$/, '$1…');
}

/**
 * A tag that stands for something attached to another manifest, not for an image of its own: the
 * OCI referrers fallback tag `sha256-<hex>` (an index of the subject's referrers, listed by the
 * explorer under the subject's "referrers"), or cosign's `sha256-<hex>.sig`, `.att`, `.sbom`.
 */
export interface FallbackTag {
  /** The subject's digest, `sha256:<hex>`. */
  readonly subject: string;
  /** `referrers` for the bare OCI fallback tag; otherwise cosign's suffix. */
  readonly what: 'referrers' | 'sig' | 'att' | 'sbom';
}

export function fallbackTag(tag: string): FallbackTag | undefined {
  const m = /^sha256-([0-9a-f]{64})(?:\.(sig|att|sbom))?$/.exec(tag);
  if (!m) return undefined;
  return { subject: `sha256:${m[1]}`, what: (m[2] as FallbackTag['what'] | undefined) ?? 'referrers' };
}

/** The row of a fallback tag under its subject: what it is first, then the tag. */
export function fallbackTagRow(tag: string, f: FallbackTag): { label: string; description: string } {
  const label = { referrers: 'referrers index', sig: 'signature', att: 'attestation', sbom: 'SBOM' }[f.what];
  return { label: `${label} (fallback tag)`, description: tag.replace(/^(sha256-[0-9a-f]{12})[0-9a-f]{52}/, '$1…') };
}

/** The tags to list and, apart, the fallback tags (shown under their subjects, counted in a note). */
export function splitTags(names: readonly string[]): { tags: string[]; fallback: string[] } {
  const tags: string[] = [];
  const fallback: string[] = [];
  for (const n of names) (fallbackTag(n) ? fallback : tags).push(n);
  return { tags, fallback };
}

/** The note that stands for the fallback tags in a tag listing. */
export function fallbackNote(count: number): string {
  return `${count} referrer tag${count === 1 ? '' : 's'} (sha256-…) not listed: see "referrers" under ${count === 1 ? 'its manifest' : 'their manifests'}`;
}

/** A problem's row: the rule id (short, fits) as the label, the message as the description; the icon says the severity. */
export function problemRow(p: GraphProblem): { label: string; description: string } {
  return { label: p.ruleId, description: oneLine(p.message) };
}

/** Problems counted by severity in words, the worst first: `2 errors, 1 warning`; '' for none. */
export function problemCount(problems: readonly Pick<GraphProblem, 'severity'>[]): string {
  const n = (s: GraphProblem['severity']): number => problems.filter((p) => p.severity === s).length;
  const parts: string[] = [];
  for (const [s, one] of [['error', 'error'], ['warning', 'warning'], ['info', 'info'], ['hint', 'hint']] as const) {
    const k = n(s);
    if (k) parts.push(`${k} ${one}${k === 1 || s === 'info' ? '' : 's'}`);
  }
  return parts.join(', ');
}

/** The problems of a level: its root's and every node's below it that was fetched with it. */
export function levelProblems(n: GraphNode): GraphProblem[] {
  return [...n.problems, ...n.children.flatMap(levelProblems)];
}

/**
 * A tag's description once its level or its HEAD is known: its problems first (what the narrow
 * view must not cut), then the short digest.
 */
export function tagDescription(digest: string | undefined, problems?: readonly Pick<GraphProblem, 'severity'>[]): string {
  const count = problems ? problemCount(problems) || 'no problems' : '';
  return [count, digest ? shortDigest(digest) : ''].filter(Boolean).join(' · ');
}

/**
 * Where a listed registry comes from, as its row says it: `added` (Add Registry…), `inspected`
 * (only named by an inspected reference), or nothing for a registry from an auth file (the
 * tooltip names the file).
 */
export function registrySource(registry: string, serverSource: string, added: readonly string[]): 'added' | 'inspected' | undefined {
  if (serverSource !== 'added') return undefined;
  return added.includes(registry) ? 'added' : 'inspected';
}

/** The short width of a row's label that the view shows whole at its default width. */
export const LABEL_WIDTH = 40;

/**
 * A note or an error as a row: when it is longer than the label shows, its first clause (up to
 * `: ` or `. `) is the label and the rest the description; the tooltip has it whole.
 */
export function messageRow(text: string): { label: string; description?: string } {
  const t = oneLine(text);
  if (t.length <= LABEL_WIDTH) return { label: t };
  const m = /^(.{8,}?)(?::|\.) (.+)$/.exec(t);
  return m && m[1].length <= LABEL_WIDTH * 1.5 ? { label: m[1], description: m[2] } : { label: t };
}

/** Registry text on one line: control characters and line breaks as spaces. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/** What a signature's or attestation's row needs of it (common/protocol.ts SupplyChainItem). */
interface SupplyChainRowItem {
  readonly label: string;
  readonly summary?: string;
  readonly verdict?: { readonly kind: string; readonly text: string; readonly reason?: string };
}

/**
 * A signature's or attestation's row: its kind as the label, its verdict (or "no signature of its
 * own" and the statement's summary) as the description, and the icon for the verdict.
 */
export function supplyChainRow(i: SupplyChainRowItem): { label: string; description: string; icon: 'verified' | 'unverified' | 'error' | 'warning' | 'note' } {
  const v = i.verdict;
  const description = v ? `${v.text}${v.kind === 'invalid' && v.reason ? ` — ${oneLine(v.reason)}` : ''}` : `no signature of its own${i.summary ? ` · ${oneLine(i.summary)}` : ''}`;
  const icon = !v ? 'note' : v.kind === 'verified' || v.kind === 'valid-no-tlog' ? 'verified' : v.kind === 'invalid' ? 'error' : v.kind === 'cannot-verify-offline' ? 'warning' : 'unverified';
  return { label: oneLine(i.label), description, icon };
}
