/**
 * `manifest-lens tree REFERENCE|oci:DIR[:TAG]`: the image graph as the registry serves it (or as an
 * OCI image layout holds it) — index →
 * platforms (nested indexes to the bottom) → config and layers → referrers (Referrers API, else
 * the `sha256-…` fallback tag) — each node with its digest, size and problems by rule id.
 * Children are linted and cross-checked against their entries (server/src/graph/imageGraph.ts).
 * A document named by several entries is shown once, the later entries as "(same as above)";
 * the graph builds at most 10,000 nodes and keeps at most 5,000 problems, and stops at the
 * --deadline (default ten times --timeout: 300 s); what it left out is said on stderr (and in
 * the JSON as `leftOut`).
 *
 *   tree [--format text|json] [--color auto|always|never] [--verbose] [--no-referrers] [--depth N] [--concurrency N] [--max-entries N] [--fail-on SEVERITY]
 *        [--insecure HOST]… [--no-creds] [--timeout SECONDS] [--deadline SECONDS]
 *        [--key FILE]… [--trusted-root FILE --certificate-identity ID --certificate-oidc-issuer URL] [--notation-config DIR] REFERENCE
 *
 * With referrers (the default, from a registry), each manifest and index also lists its
 * signatures and attestations (treeSupplyChain.ts), each signature with its verdict against the
 * trust options (`verify`'s); without any: "not verified: no trust configured".
 *
 * Exit codes: 0 shown (without --fail-on, problems or not), 1 a node has a problem at least as
 * severe as --fail-on (error|warning|info|hint; never: 0), 2 usage, 3 the registry could not
 * serve the reference, or the deadline passed (what was built is still printed).
 */
import { compactSize } from '../../../common/units';
import { SEVERITY_ORDER, type Severity } from '../engine/types';
import { DEFAULT_MAX_CHILDREN, inspectGraph, leftOutText, type GraphNode, type GraphOptions, type GraphResult } from '../graph/imageGraph';
import { readLayoutBlob, layoutGraphSource } from '../layout/graphSource';
import { layoutDirProblem } from '../layout/layout';
import { formatReference, isRegistryError, type ImageReference } from '../registry';
import { parseGraphArgs, type GraphCliOptions } from './graphArgs';
import { entryMediaTypeMismatch, LayoutError, parseLayoutReference, resolveTag } from './inspectLayout';
import type { FailOn } from './lint';
import { programName } from './program';
import { oneLine, openSession } from './registrySession';
import { supplyChainLines, takeTrustOptions, withSupplyChain } from './treeSupplyChain';
import { loadTrust, TRUST_USAGE, trustOptionsProblem } from './verifyCommand';
import type { Trust } from '../supplychain';
import { displayWidth, firstSentence, fitLine, PLAIN_STYLE, safeWriter, SEVERITY_MARK, SEVERITY_PAINT, shownDigest, takeTerminalOptions, terminalSafe, terminalStyle, wrapWords, type Segment, type TerminalStyle } from './terminalText';

const USAGE = (): string => `usage: ${programName()} tree [--format text|json] [--color auto|always|never] [--verbose] [--no-referrers] [--depth N] [--concurrency N] [--max-entries N] [--fail-on error|warning|info|hint|never] [--insecure HOST]… [--no-creds] [--timeout SECONDS] [--deadline SECONDS] ${TRUST_USAGE} REFERENCE|oci:DIR[:TAG]
  --timeout: per request (default 30); --deadline: for the whole tree (default ten times --timeout), then what was built is printed
`;

/** The per-request timeout the registry client uses when --timeout is not given (registry/session.ts). */
const DEFAULT_TIMEOUT_SECONDS = 30;
/** The whole tree's deadline, unless --deadline says: this many times the per-request timeout. */
const DEADLINE_TIMEOUTS = 10;

/** The seconds the whole tree may take. */
function deadlineOf(options: GraphCliOptions): number {
  return Math.min(86_400, options.deadlineSeconds ?? DEADLINE_TIMEOUTS * (options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS));
}

/** An abort signal that fires at the deadline; `clear` when done. */
function deadlineSignal(seconds: number): { readonly signal: AbortSignal; clear(): void } {
  const c = new AbortController();
  const t = setTimeout(() => c.abort(), Math.round(seconds * 1000));
  return { signal: c.signal, clear: () => clearTimeout(t) };
}

/** The one-line description of a node after its label (safe for a terminal; short digests on a compact one). */
export function nodeSummary(n: GraphNode, style: TerminalStyle = PLAIN_STYLE): string {
  // A config or layer is named by its label already; a manifest's label is its platform.
  const kind = n.kind === 'config' || n.kind === 'layer' ? '' : n.kind === 'unknown' ? terminalSafe(n.mediaType ?? 'unknown') : n.kind;
  const parts = [kind, n.digest ? shownDigest(style, n.digest) : '(no digest)', compactSize(n.size)];
  if (n.sameAs !== undefined) return [...parts, '(same as above)'].filter(Boolean).join('  ');
  if (n.kind === 'manifest' && n.layerCount !== undefined) {
    parts.push(`· ${n.layerCount} layer${n.layerCount === 1 ? '' : 's'}, ${compactSize(n.totalSize)} total`);
  }
  if (n.kind === 'index') {
    // Every entry the index lists (those past --max-entries too); attestations said apart.
    const entries = n.children.length + (n.notFetched ?? 0);
    const attestations = n.children.filter((c) => c.attestationOf !== undefined).length;
    parts.push(`· ${entries} entr${entries === 1 ? 'y' : 'ies'}${attestations ? ` (${attestations} attestation${attestations === 1 ? '' : 's'})` : ''}, ${compactSize(n.totalSize)} of blobs`);
  }
  if (n.kind === 'config' || n.kind === 'layer' || n.kind === 'referrer') parts.push(terminalSafe(n.mediaType ?? ''));
  return parts.filter(Boolean).join('  ');
}

type TreeItem = { note: string } | { problem: GraphNode['problems'][number] } | { node: GraphNode } | { referrers: NonNullable<GraphNode['referrers']> } | { supplyChain: NonNullable<GraphNode['supplyChain']> };

/**
 * Renders the graph as an indented tree (box-drawing characters), one node or problem per line.
 * Every text from the registry or the documents is escaped (terminalText.ts). With the plain
 * style (a pipe, a file, NO_COLOR) values are whole; with a compact one (a terminal) digests are
 * short, a finding is its first sentence, and lines are cut to the width after their guides.
 */
export function renderTree(root: GraphNode, title: string, style: TerminalStyle = PLAIN_STYLE): string {
  const lines: string[] = [fitLine(style, [[`${terminalSafe(title)}  `, 'bold'], [nodeSummary(root, style)]])];
  const nodeLine = (branch: string, n: GraphNode): string => fitLine(style, [[branch], [terminalSafe(n.label), 'bold'], [`  ${nodeSummary(n, style)}`]]);
  const walk = (n: GraphNode, prefix: string): void => {
    const items: TreeItem[] = [
      ...n.problems.map((p) => ({ problem: p })),
      ...n.children.map((c) => ({ node: c })),
      ...(n.referrers ? [{ referrers: n.referrers }] : []),
      ...(n.supplyChain && (n.supplyChain.items.length || n.supplyChain.problems.length) ? [{ supplyChain: n.supplyChain }] : []),
      ...(n.notFetched ? [{ note: `… ${n.notFetched} more entr${n.notFetched === 1 ? 'y' : 'ies'} not fetched (--max-entries)` }] : []),
    ];
    items.forEach((item, i) => {
      const last = i === items.length - 1;
      const branch = prefix + (last ? '└─ ' : '├─ ');
      const next = prefix + (last ? '   ' : '│  ');
      if ('note' in item) {
        lines.push(fitLine(style, [[branch], [item.note, 'dim']]));
      } else if ('problem' in item) {
        const p = item.problem;
        const head: Segment[] = [[branch], [`${SEVERITY_MARK[p.severity] ?? '!'} ${p.severity}`, SEVERITY_PAINT[p.severity]], [` ${terminalSafe(p.ruleId)}${p.line ? ` (${p.line}:${p.column})` : ''}`]];
        const message = terminalSafe(oneLine(p.message));
        if (!style.compact) {
          lines.push(fitLine(style, [...head, [` ${message}`]]));
        } else if (!style.verbose) {
          lines.push(fitLine(style, [...head, [` ${firstSentence(message)}`]]));
        } else {
          // The whole paragraph, wrapped under the finding with the guides continued.
          const indent = `${next}  `;
          lines.push(fitLine(style, head));
          for (const l of wrapWords(message, Math.max(20, style.width - displayWidth(indent)))) lines.push(fitLine(style, [[indent], [l]]));
        }
      } else if ('node' in item) {
        lines.push(nodeLine(branch, item.node));
        walk(item.node, next);
      } else if ('supplyChain' in item) {
        const sc = supplyChainLines(item.supplyChain);
        lines.push(fitLine(style, [[branch], [sc.heading]]));
        sc.items.forEach((it, j) => {
          const lastI = j === sc.items.length - 1;
          lines.push(fitLine(style, [[`${next}${lastI ? '└─ ' : '├─ '}`], [it.head, 'bold']]));
          for (const f of it.facts) lines.push(fitLine(style, [[`${next}${lastI ? '   ' : '│  '}  `], [f]]));
        });
      } else {
        const via = item.referrers.via === 'referrers-api' ? 'Referrers API' : item.referrers.via === 'fallback-tag' ? 'fallback tag' : item.referrers.via === 'layout' ? 'in the layout' : 'none found';
        lines.push(fitLine(style, [[item.referrers.nodes.length ? `${branch}referrers (${via}): ${item.referrers.nodes.length}` : `${branch}referrers: none`]]));
        item.referrers.nodes.forEach((r, j) => {
          const lastR = j === item.referrers.nodes.length - 1;
          lines.push(nodeLine(`${next}${lastR ? '└─ ' : '├─ '}`, r));
        });
      }
    });
  };
  walk(root, '');
  return lines.join('\n') + '\n';
}

/** Index entries left out below `n` (past the per-index limit). */
function notFetched(n: GraphNode): number {
  return (n.notFetched ?? 0) + n.children.reduce((t, c) => t + notFetched(c), 0);
}

/** Counts of the problems in the graph (referrers included), per severity. */
function countProblems(n: GraphNode, counts: Record<string, number> = {}): Record<string, number> {
  for (const p of n.problems) counts[p.severity] = (counts[p.severity] ?? 0) + 1;
  for (const c of n.children) countProblems(c, counts);
  for (const r of n.referrers?.nodes ?? []) countProblems(r, counts);
  return counts;
}

/** 1 when a problem is at least as severe as `failOn` (as lint's --fail-on), else 0. */
export function treeExitCode(counts: Readonly<Record<string, number>>, failOn: FailOn | undefined): 0 | 1 {
  if (!failOn || failOn === 'never') return 0;
  return (Object.keys(SEVERITY_ORDER) as Severity[]).some((s) => (counts[s] ?? 0) > 0 && SEVERITY_ORDER[s] <= SEVERITY_ORDER[failOn]) ? 1 : 0;
}

function graphOptions(options: GraphCliOptions, stop: AbortSignal): GraphOptions {
  const deadline = deadlineOf(options);
  return {
    referrers: options.referrers, maxDepth: options.depth, concurrency: options.concurrency, maxChildren: options.maxEntries,
    stop, stopReason: () => `the deadline of ${deadline} s passed${options.deadlineSeconds === undefined ? ' (ten times --timeout; --deadline sets it)' : ' (--deadline)'}`,
  };
}

/** What the run cost: documents served below the root, requests sent, requests refused by the rate gate. */
interface Costs {
  readonly documents: number;
  /** HTTP requests sent, the root's and failed ones included (0: read from a layout). */
  readonly requests: number;
  /** Requests not sent: the host was held back after a 429. */
  readonly refused: number;
}

/** Writes the graph (text or JSON) and the counts; the exit code for --fail-on. */
function report(graph: GraphResult, root: { title: string; digest: string }, costs: Costs, options: GraphCliOptions & { style: TerminalStyle }, out: NodeJS.WritableStream, err: NodeJS.WritableStream): 0 | 1 | 3 {
  if (options.format === 'json') {
    out.write(JSON.stringify({ reference: root.title, digest: root.digest, requests: costs.requests, ...(costs.refused ? { notSent: costs.refused } : {}), root: graph.root, ...(graph.leftOut ? { leftOut: graph.leftOut } : {}) }, null, 2) + '\n');
  } else {
    out.write(renderTree(graph.root, root.title, options.style));
  }
  const title = terminalSafe(root.title);
  const c = countProblems(graph.root);
  const fetched = `${costs.documents + 1} document${costs.documents === 0 ? '' : 's'}`;
  const cost =
    costs.requests === 0 && costs.refused === 0
      ? `${fetched} read from the layout`
      : `${fetched} fetched in ${costs.requests} request${costs.requests === 1 ? '' : 's'}${costs.refused ? ` (${costs.refused} more not sent: the registry answered 429 Too Many Requests)` : ''}`;
  err.write(`${title}: ${cost}; problems: ${['error', 'warning', 'info', 'hint'].map((s) => `${c[s] ?? 0} ${s}`).join(', ')}\n`);
  const skipped = notFetched(graph.root);
  if (skipped > 0) err.write(`${title}: ${skipped} index entr${skipped === 1 ? 'y was' : 'ies were'} not fetched (more than ${options.maxEntries ?? DEFAULT_MAX_CHILDREN} in one index; --max-entries raises the limit)\n`);
  const leftOut = leftOutText(graph.leftOut);
  if (leftOut) err.write(`${title}: ${leftOut}\n`);
  if (graph.leftOut?.stopped) return 3;
  return treeExitCode(c, options.failOn);
}

/**
 * `tree oci:DIR[:TAG]`: the same graph over an OCI image layout (layout/graphSource.ts), TAG
 * chosen as `inspect oci:` chooses it; referrers are the layout's manifests whose subject is a
 * node. Exit 3 when the layout cannot give the image (no such tag, a missing or changed blob).
 */
async function treeOfLayout(reference: string, options: GraphCliOptions & { style: TerminalStyle }, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const where = parseLayoutReference(reference)!;
  if (!where.dir) {
    err.write(`tree: oci: needs a folder: oci:DIR[:TAG]\n${USAGE()}`);
    return 2;
  }
  const notLayout = layoutDirProblem(where.dir);
  if (notLayout) {
    err.write(`tree: ${where.dir} ${notLayout}\n`);
    return 3;
  }
  const deadline = deadlineSignal(deadlineOf(options));
  try {
    const top = resolveTag(where.dir, where.tag, reference);
    const bytes = readLayoutBlob(where.dir, top.digest);
    if (top.size !== undefined && top.size !== bytes.length) throw new LayoutError(`${reference}: blob ${top.digest} is ${bytes.length} bytes, index.json says ${top.size}`);
    const ref: ImageReference = { registry: 'oci', apiHost: 'oci', repository: where.dir, digest: top.digest };
    const built = await inspectGraph(layoutGraphSource(where.dir), ref, { bytes, digest: top.digest }, graphOptions(options, deadline.signal));
    // index.json's entry against the blob it names, as `lint DIR` checks it: skopeo and podman
    // choose the parser by the entry's type.
    const why = entryMediaTypeMismatch(top.mediaType, bytes);
    const graph = !why ? built : {
      ...built,
      root: { ...built.root, problems: [{ ruleId: 'layout-media-type-mismatch', severity: 'error' as const, message: `index.json's entry (blob ${top.digest}) is ${why}.` }, ...built.root.problems] },
    };
    return report(graph, { title: reference, digest: top.digest }, { documents: graph.fetched, requests: 0, refused: 0 }, options, out, err);
  } catch (e) {
    err.write(`tree: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return 3;
  } finally {
    deadline.clear();
  }
}

/** Runs `tree` with its arguments; never throws; resolves to the exit code. */
export async function runTree(args: string[], out: NodeJS.WritableStream, rawErr: NodeJS.WritableStream): Promise<number> {
  // Every message on stderr goes through the net: no control character of a registry's reaches the terminal.
  const err = safeWriter(rawErr);
  const terminal = takeTerminalOptions(args, { verbose: true });
  if (typeof terminal === 'string') {
    err.write(`${terminal}\n${USAGE()}`);
    return 2;
  }
  const trustArgs = takeTrustOptions(terminal.rest);
  if (typeof trustArgs === 'string') {
    err.write(`tree: ${trustArgs}\n${USAGE()}`);
    return 2;
  }
  const trustProblem = trustOptionsProblem(trustArgs.trust);
  if (trustProblem) {
    err.write(`tree: ${trustProblem}\n${USAGE()}`);
    return 2;
  }
  const parsed = parseGraphArgs(trustArgs.rest, { graph: true });
  if (typeof parsed === 'string') {
    err.write(`${parsed}\n${USAGE()}`);
    return 2;
  }
  const options = { ...parsed, style: parsed.format === 'json' ? PLAIN_STYLE : terminalStyle(out, terminal) };
  if (options.positional.length !== 1) {
    err.write(`tree: ${options.positional.length === 0 ? 'no reference given' : `one reference at a time, got ${options.positional.length}`}\n${USAGE()}`);
    return 2;
  }
  if (options.positional[0].startsWith('oci:')) return treeOfLayout(options.positional[0], options, out, err);
  let trust: Trust | undefined;
  if (options.referrers) {
    const loaded = loadTrust(trustArgs.trust, err, 'tree');
    if (typeof loaded === 'string') {
      err.write(`tree: ${loaded}\n`);
      return 2;
    }
    trust = loaded;
  }
  const session = openSession('tree', { ...options, reference: options.positional[0] }, err);
  if (session === 2) return 2;
  const { ref, client } = session;
  const deadline = deadlineSignal(deadlineOf(options));
  try {
    const root = await client.getManifest(ref, { signal: deadline.signal });
    const built = await inspectGraph(client, root.reference, root, graphOptions(options, deadline.signal));
    let graph = built;
    if (trust && !deadline.signal.aborted) {
      const sc = await withSupplyChain(client, root.reference, built.root, trust, options.concurrency);
      graph = { ...built, root: sc.root };
      if (sc.leftOut) err.write(`tree: signatures and attestations of ${sc.leftOut} more manifest${sc.leftOut === 1 ? '' : 's'} not read (at most 64 per tree)\n`);
    }
    // The client's totals: every request sent, failed ones too (a 429 is a request), and those the rate gate kept back.
    const costs = { documents: graph.fetched, requests: client.stats.requests, refused: client.stats.refused };
    return report(graph, { title: formatReference(root.reference), digest: root.digest }, costs, options, out, err);
  } catch (e) {
    const why = deadline.signal.aborted ? `${formatReference(ref)} was not served before the deadline of ${deadlineOf(options)} s (--deadline)` : oneLine(e instanceof Error ? e.message : String(e));
    err.write(`tree: ${why}\n`);
    return isRegistryError(e) && e.kind === 'invalid-reference' ? 2 : 3;
  } finally {
    deadline.clear();
    await client.close().catch(() => undefined);
  }
}
