/**
 * `manifest-lens digest REFERENCE`: the manifest digest a reference resolves to, on one line
 * (what `crane digest`, `regctl image digest` and `skopeo inspect --format {{.Digest}}` print),
 * with where it came from on stderr.
 *
 *   digest [--platform OS/ARCH[/VARIANT]] [--verify] [--insecure HOST]… [--no-creds]
 *          [--timeout SECONDS] REFERENCE
 *
 * Without --platform one HEAD request: the registry's Docker-Content-Digest, checked against the
 * requested digest for a digest reference. When the registry sends no Docker-Content-Digest, or
 * with --verify, the manifest is fetched and its bytes hashed instead. With --platform the index
 * is fetched and the digest is the matching child's (the list's own digest is what skopeo#1075
 * and containers/image#1246 users did not want); --verify fetches the child too.
 *
 * Exit codes: 0 printed, 2 usage, 3 the registry could not give it (or contradicted itself).
 */
import { mediaTypeInfo } from '../engine/mediaTypes';
import { platformText } from '../engine/platforms';
import { formatReference, isRegistryError, referenceWithDigest, type ImageReference, type RegistryClient } from '../registry';
import { digestAlgorithm } from '../registry/verify';
import { indexEntries, MAX_INDEX_DEPTH, noPlatformMessage, parseInspectArgs, selectPlatform } from './inspectCommand';
import { programName } from './program';
import { oneLine, openSession } from './registrySession';
import { echoed, safeWriter } from './terminalText';

const USAGE = (): string => `usage: ${programName()} digest [--platform OS/ARCH[/VARIANT]] [--verify] [--insecure HOST]… [--no-creds] [--timeout SECONDS] REFERENCE\n`;

class DigestError extends Error {}

export async function runDigest(args: string[], out: NodeJS.WritableStream, rawErr: NodeJS.WritableStream): Promise<number> {
  // Every message on stderr goes through the net: no control character of a registry's reaches the terminal.
  const err = safeWriter(rawErr);
  const verify = args.includes('--verify');
  const inspectOnly = args.find((a) => /^--(lint|format|fail-on)(=|$)/.test(a));
  if (inspectOnly) {
    err.write(`digest: ${inspectOnly.split('=')[0]} belongs to inspect\n${USAGE()}`);
    return 2;
  }
  const options = parseInspectArgs(args.filter((a) => a !== '--verify'));
  if (typeof options === 'string') {
    err.write(`${options.replace(/^inspect:/, 'digest:')}\n${USAGE()}`);
    return 2;
  }
  const session = openSession('digest', options, err);
  if (session === 2) return 2;
  const { ref, client } = session;
  try {
    const digest = options.platform ? await platformDigest(client, ref, options.platform, verify, err) : await ownDigest(client, ref, verify, err);
    out.write(digest + '\n');
    return 0;
  } catch (e) {
    err.write(`digest: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return isRegistryError(e) && e.kind === 'invalid-reference' ? 2 : 3;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** The digest of the manifest the reference names: HEAD, or GET when HEAD cannot tell (or --verify). */
async function ownDigest(client: RegistryClient, ref: ImageReference, verify: boolean, err: NodeJS.WritableStream): Promise<string> {
  const label = formatReference(ref);
  if (!verify) {
    const head = await client.headManifest(ref);
    // A sha512 (or other) reference cannot be checked against the registry's sha256 header:
    // fetch and hash with the reference's own algorithm instead, as inspect does.
    const otherAlgorithm = !!ref.digest && !!head.digest && digestAlgorithm(ref.digest) !== digestAlgorithm(head.digest);
    if (head.digest && !otherAlgorithm) {
      if (ref.digest && head.digest !== ref.digest) {
        throw new DigestError(`${label}: the registry answered HEAD with Docker-Content-Digest ${head.digest}, not the requested digest`);
      }
      err.write(`${label}: ${head.digest} from the Docker-Content-Digest of a HEAD request (${head.mediaType ?? 'no Content-Type'}${head.size !== undefined ? `, ${head.size} bytes` : ''}); --verify fetches and hashes the bytes\n`);
      return head.digest;
    }
    err.write(
      otherAlgorithm
        ? `${label}: HEAD gave a ${digestAlgorithm(head.digest!)} Docker-Content-Digest, the reference is ${digestAlgorithm(ref.digest!)}; fetching the manifest to hash it\n`
        : head.unusableDigest
          ? `${label}: HEAD gave a Docker-Content-Digest that is not a usable digest (${JSON.stringify(head.unusableDigest)}); fetching the manifest to hash it\n`
          : `${label}: HEAD gave no Docker-Content-Digest; fetching the manifest to hash it\n`,
    );
  }
  const m = await client.getManifest(ref);
  if (ref.digest && digestAlgorithm(ref.digest) !== digestAlgorithm(m.digest) && m.verified === 'requested-digest') {
    // getManifest verified the bytes against the reference with its own algorithm.
    err.write(`${label}: ${ref.digest} verified: the ${m.bytes.length} bytes served hash to it (their sha256 is ${m.digest})\n`);
    return ref.digest;
  }
  const what = m.digest === m.bytesDigest
    ? `the sha256 of the ${m.bytes.length} bytes served`
    : `the sha256 of the signed schema 1 manifest's payload without its signatures (the ${m.bytes.length} bytes served hash to ${m.bytesDigest})`;
  err.write(`${label}: ${m.digest} is ${what}${m.verified === 'requested-digest' ? ', as requested' : m.verified === 'docker-content-digest' ? ', matching Docker-Content-Digest' : ''}\n`);
  return m.digest;
}

/**
 * The digest of the index entry for `platform` (the first match, image-index.md), following an
 * entry that is itself an index; with --verify the manifest is fetched and checked against it.
 */
async function platformDigest(client: RegistryClient, ref: ImageReference, platform: { os: string; architecture: string; variant: string }, verify: boolean, err: NodeJS.WritableStream): Promise<string> {
  let current = ref;
  for (let depth = 0; ; depth++) {
    const label = formatReference(current);
    const index = await client.getManifest(current);
    const entries = indexEntries(index.bytes);
    if (!entries) {
      if (depth === 0) throw new DigestError(`${label} (${index.digest}) is not an index or manifest list, so it has no per-platform digests; drop --platform`);
      return index.digest;
    }
    if (depth >= MAX_INDEX_DEPTH) throw new DigestError(`gave up after ${MAX_INDEX_DEPTH} nested indexes at ${label}`);
    const match = selectPlatform(entries, platform);
    if (!match) throw new DigestError(noPlatformMessage(label, entries, platform));
    err.write(`${label}: index ${index.digest}; platform ${platformText(platform)} → manifests[${match.position}] ${echoed(match.digest)}\n`);
    const nested = mediaTypeInfo(match.mediaType)?.role === 'index';
    if (!nested && !verify) return match.digest;
    current = referenceWithDigest(ref, match.digest);
    if (!nested) {
      const child = await client.getManifest(current);
      err.write(`${formatReference(current)}: fetched, ${child.bytes.length} bytes; its digest matches the index entry\n`);
      return match.digest;
    }
  }
}
