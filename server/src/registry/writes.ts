/**
 * What a registry's answer to a write means, in words a person can act on: a manifest PUT that
 * was refused (the distribution-spec codes MANIFEST_BLOB_UNKNOWN, MANIFEST_INVALID, DENIED,
 * UNAUTHORIZED…), and a 201 whose Docker-Content-Digest is not the digest of the bytes sent.
 * The codes travel in RegistryError.registryErrors for callers that branch on them.
 */
import { RegistryError } from './errors';
import type { ImageReference } from './reference';
import { errorSummary, header, loginCommand, registryErrorsOf, statusError, statusLine } from './responses';
import type { HttpResponse } from './transport';

/** `repo:tag` or `repo@digest`: where a manifest was written. */
function target(ref: ImageReference, reference: string): string {
  return reference.includes(':') ? `${ref.repository}@${reference}` : `${ref.repository}:${reference}`;
}

/** A refused manifest PUT as a RegistryError (status and registry codes kept). */
export function manifestWriteError(res: HttpResponse, ref: ImageReference, reference: string): RegistryError {
  const entries = registryErrorsOf(res.body);
  const codes = entries.map((e) => e.code);
  const where = target(ref, reference);
  const details = { host: ref.apiHost, status: res.status, registryErrors: entries };
  const line = statusLine(res.status);
  const summary = errorSummary(entries);
  if (res.status === 403 || codes.includes('DENIED')) {
    return new RegistryError(
      'forbidden',
      `${ref.apiHost} refused to write the manifest ${where}: ${line}${summary}. The account lacks push rights to ${ref.repository}; ` +
        `log in as a user who may push (\`${loginCommand(ref.registry)}\`), or write under a repository you own.`,
      details,
    );
  }
  if (res.status === 401) {
    return new RegistryError(
      'unauthorized',
      `${ref.apiHost} answered ${line} to the write of ${where}${summary}. Pushing needs the scope repository:${ref.repository}:pull,push; log in with \`${loginCommand(ref.registry)}\`.`,
      details,
    );
  }
  if (codes.includes('MANIFEST_BLOB_UNKNOWN') || codes.includes('BLOB_UNKNOWN')) {
    return new RegistryError(
      'not-found',
      `${ref.apiHost} refused the manifest ${where}: ${line}${summary}. A blob or child manifest it names is not in ${ref.repository}; push it there first.`,
      details,
    );
  }
  if (codes.includes('MANIFEST_INVALID') || codes.includes('MANIFEST_UNVERIFIED') || codes.includes('TAG_INVALID') || codes.includes('DIGEST_INVALID')) {
    return new RegistryError('protocol', `${ref.apiHost} refused the manifest ${where} as invalid: ${line}${summary}.`, details);
  }
  if (res.status === 405) {
    return new RegistryError('protocol', `${ref.apiHost} does not accept writes (${line}) for ${where}${summary}; it may be a read-only mirror or cache.`, details);
  }
  return statusError(res, { host: ref.apiHost, subject: `the manifest write of ${where}`, registry: ref.registry, kindOfThing: 'manifest' });
}

/**
 * The digest the registry says it stored, checked against the bytes sent: a registry that
 * rewrote the manifest (or a proxy that did) would leave the tag on other bytes than reviewed.
 */
export function checkWrittenDigest(res: HttpResponse, ref: ImageReference, reference: string, digest: string, log?: (line: string) => void): void {
  const answered = header(res.headers, 'docker-content-digest')?.trim();
  if (!answered) {
    log?.(`${ref.apiHost} sent no Docker-Content-Digest for the manifest ${target(ref, reference)}`);
    return;
  }
  if (answered !== digest) {
    throw new RegistryError(
      'digest-mismatch',
      `${ref.apiHost} stored the manifest ${target(ref, reference)} as ${answered.slice(0, 80)}, not as ${digest} (the digest of the bytes sent): it changed them. Check what the tag now points at before using it.`,
      { host: ref.apiHost, status: res.status },
    );
  }
}
