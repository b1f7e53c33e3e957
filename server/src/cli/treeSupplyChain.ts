/**
 * `tree`'s signatures and attestations (issue 20): each manifest and index in the graph with
 * what is attached to it (cosign tags, referrers, and for a platform's manifest the BuildKit
 * attestation manifests its index lists for it), decoded, each signature with its verdict against
 * the trust given by --key, --trusted-root (+ identity, issuer) and --notation-config, as
 * `verify` takes them.
 */
import type { GraphNode, SupplyChainReport } from '../../../common/protocol';
import { limiter } from '../graph/imageGraph';
import { referenceWithDigest, type ImageReference, type RegistryClient } from '../registry';
import { signedAtSource, supplyChainReport, verdictWords, type Trust } from '../supplychain';
import { applyTrustOption, type TrustOptions } from './verifyCommand';
import { oneLine } from './registrySession';
import { terminalSafe } from './terminalText';

/** The most manifests of one tree whose attachments are read. */
export const MAX_SUPPLY_CHAIN_SUBJECTS = 64;

/** Takes the trust options out of `args`: the rest, and the options; a string is the usage error. */
export function takeTrustOptions(args: readonly string[]): { rest: string[]; trust: TrustOptions } | string {
  const trust: TrustOptions = { keyFiles: [] };
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const applied = applyTrustOption(name, () => (eq > 0 ? arg.slice(eq + 1) : args[++i]), trust);
    if (typeof applied === 'string') return applied;
    if (!applied) rest.push(arg);
  }
  return { rest, trust };
}

interface Subject {
  readonly node: GraphNode;
  readonly parentIndex?: string;
}

/** The manifests and indexes of the graph (not attestation manifests, referrers or repeats), the root first. */
function subjects(root: GraphNode): Subject[] {
  const out: Subject[] = [];
  const walk = (n: GraphNode, parent?: GraphNode): void => {
    if (out.length >= MAX_SUPPLY_CHAIN_SUBJECTS) return;
    if (n.sameAs !== undefined || n.attestationOf !== undefined || !/^sha256:[0-9a-f]{64}$/.test(n.digest)) return;
    if (n.kind !== 'manifest' && n.kind !== 'index') return;
    out.push({ node: n, ...(parent?.kind === 'index' ? { parentIndex: parent.digest } : {}) });
    for (const c of n.children) walk(c, n);
  };
  walk(root);
  return out;
}

/**
 * The graph with each manifest's and index's signatures and attestations (`supplyChain`); what
 * could not be read is in each report's problems. At most MAX_SUPPLY_CHAIN_SUBJECTS manifests.
 */
export async function withSupplyChain(client: RegistryClient, ref: ImageReference, root: GraphNode, trust: Trust, concurrency = 4): Promise<{ root: GraphNode; leftOut: number }> {
  const list = subjects(root);
  const bytesOf = new Map<string, Promise<{ mediaType: string; bytes: Uint8Array }>>();
  const manifest = (digest: string) => {
    let p = bytesOf.get(digest);
    if (!p) {
      p = client.getManifest(referenceWithDigest(ref, digest)).then((m) => ({ mediaType: m.mediaType, bytes: m.bytes }));
      bytesOf.set(digest, p);
    }
    return p;
  };
  const run = limiter(concurrency);
  const reports = new Map<string, SupplyChainReport>();
  await Promise.all(list.map((s) => run(async () => {
    const at = referenceWithDigest(ref, s.node.digest);
    try {
      const m = await manifest(s.node.digest);
      const parent = s.parentIndex ? { digest: s.parentIndex, bytes: (await manifest(s.parentIndex)).bytes } : undefined;
      reports.set(s.node.digest, await supplyChainReport(client, at, { mediaType: m.mediaType, digest: s.node.digest, size: m.bytes.length, bytes: m.bytes }, trust, parent));
    } catch (e) {
      reports.set(s.node.digest, { subject: s.node.digest, items: [], problems: [`signatures and attestations not read: ${e instanceof Error ? e.message : String(e)}`], trust: '' });
    }
  })));
  const attach = (n: GraphNode): GraphNode => {
    const r = n.sameAs === undefined ? reports.get(n.digest) : undefined;
    return { ...n, ...(r ? { supplyChain: r } : {}), children: n.children.map(attach) };
  };
  let total = 0;
  const count = (n: GraphNode): void => {
    if ((n.kind === 'manifest' || n.kind === 'index') && n.sameAs === undefined && n.attestationOf === undefined) total++;
    n.children.forEach(count);
  };
  count(root);
  return { root: attach(root), leftOut: Math.max(0, total - list.length) };
}

/**
 * The lines of one report under its node (without the tree's guides): a heading, then per item
 * its kind and where, and its facts indented. Every registry text is escaped.
 */
export function supplyChainLines(r: SupplyChainReport): { heading: string; items: { head: string; facts: string[] }[] } {
  const t = (s: string): string => terminalSafe(oneLine(s));
  const signatures = r.items.filter((i) => i.verdict).length;
  const heading = r.items.length === 0 && r.problems.length === 0
    ? 'signatures and attestations: none'
    : `signatures and attestations: ${r.items.length}${signatures ? ` (${signatures} signature${signatures === 1 ? '' : 's'}; trust: ${t(r.trust)})` : ''}`;
  const items = r.items.map((i) => {
    const facts: string[] = [];
    facts.push(`verdict: ${t(verdictWords(i))}${i.verdict?.by ? ` (by ${t(i.verdict.by)})` : ''}`);
    for (const n of i.verdict?.notes ?? []) facts.push(`note: ${t(n)}`);
    if (i.signer) facts.push(`signer: ${t(i.signer)}`);
    if (i.signedAt) facts.push(`signed: ${t(i.signedAt.time)} (${signedAtSource(i.signedAt.source)})`);
    if (i.logIndex) facts.push(`log index: ${t(i.logIndex)}`);
    if (i.predicateType) facts.push(`predicate: ${t(i.predicateType)}${i.summary ? ` — ${t(i.summary)}` : ''}`);
    else if (i.summary) facts.push(`summary: ${t(i.summary)}`);
    return { head: `${t(i.label)}  ${t(i.where)}`, facts };
  });
  for (const p of r.problems) items.push({ head: `problem: ${t(p)}`, facts: [] });
  return { heading, items };
}
