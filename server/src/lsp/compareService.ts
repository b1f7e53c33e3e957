/**
 * "Compare with…": two manifests side by side (two tags, two digests, two platforms' children,
 * or a local document against a remote one) and what changed in words (graph/compare.ts). The
 * server fetches what the client names (through RemoteService, so both stay open read-only
 * with their verified digests) and the two image configs for env, labels, entrypoint, cmd and
 * history; the client opens VS Code's diff editor on the two documents.
 */
import { ResponseError } from 'vscode-languageserver';
import { REGISTRY_ERROR_CODE, type CompareParams, type CompareResult, type CompareSide, type RemoteDocument } from '../../../common/protocol';
import { compareManifests } from '../graph/compare';
import { digestOf, parseReference, type RegistryClient } from '../registry';
import type { Fetched, RemoteService } from './remote';
import { toResponseError } from './remote';

interface Side {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly digest: string;
  readonly doc?: RemoteDocument;
  readonly fetched?: Fetched;
}

const utf8 = new TextEncoder();

/** Compares two sides; see the module comment. Registry failures are ResponseErrors the client shows. */
export async function compareDocuments(remote: RemoteService, client: () => RegistryClient, params: CompareParams, signal: AbortSignal): Promise<CompareResult> {
  try {
    return await compare(remote, client, params, signal);
  } catch (e) {
    throw toResponseError(e);
  }
}

async function compare(remote: RemoteService, client: () => RegistryClient, params: CompareParams, signal: AbortSignal): Promise<CompareResult> {
  const [a, b] = await Promise.all([resolveSide(remote, params.left, signal), resolveSide(remote, params.right, signal)]);
  const notes: string[] = [];
  const [ca, cb] = await Promise.all([configOf(client, a, b, signal, notes), configOf(client, b, a, signal, notes)]);
  const c = compareManifests({ label: a.label, bytes: a.bytes, digest: a.digest, config: ca }, { label: b.label, bytes: b.bytes, digest: b.digest, config: cb });
  return { left: a.doc, right: b.doc, leftLabel: a.label, rightLabel: b.label, same: c.same, sameBytes: c.sameBytes, changes: c.changes, notes };
}

async function resolveSide(remote: RemoteService, side: CompareSide, signal: AbortSignal): Promise<Side> {
  if (typeof side.text === 'string') {
    const bytes = utf8.encode(side.text);
    return { label: side.label ?? 'local document', bytes, digest: digestOf(bytes) ?? '' };
  }
  const doc = side.uri ? await remote.open(side.uri, signal) : side.reference ? await remote.inspect(side.reference, signal) : undefined;
  if (!doc) throw new ResponseError(REGISTRY_ERROR_CODE, 'Compare needs a document or an image reference on each side.', { kind: 'invalid-reference' });
  if (doc.kind !== 'manifest') throw new ResponseError(REGISTRY_ERROR_CODE, `Compare works on manifests and indexes; ${doc.reference} is a ${doc.kind === 'blob' ? 'config blob' : 'referrers list'}.`, { kind: 'invalid-reference' });
  const fetched = remote.fetched(doc.uri)!;
  return { label: doc.reference, bytes: fetched.bytes, digest: doc.digest, doc, fetched };
}

/** The parsed image config of a side, from its repository (a local side: the other side's). */
async function configOf(client: () => RegistryClient, side: Side, other: Side, signal: AbortSignal, notes: string[]): Promise<unknown> {
  let digest: string | undefined;
  try {
    const d = (JSON.parse(new TextDecoder().decode(side.bytes)) as { config?: { digest?: unknown } } | null)?.config?.digest;
    digest = typeof d === 'string' ? d : undefined;
  } catch {
    return undefined;
  }
  const from = side.fetched ?? other.fetched;
  if (!digest || !from) return undefined;
  try {
    const ref = parseReference(`${from.target.registry}/${from.target.repository}@${digest}`);
    const blob = await client().getBlob(ref, digest, { signal, maxBytes: 4 * 1024 * 1024 });
    return JSON.parse(new TextDecoder().decode(blob.bytes));
  } catch (e) {
    const err = toResponseError(e);
    if (err.data?.kind === 'cancelled') throw err;
    notes.push(`${side.label}: the config ${digest.slice(0, 19)}… could not be fetched (${err.message}); config changes are not compared.`);
    return undefined;
  }
}
