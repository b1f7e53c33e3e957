/**
 * `manifest-lens verify REF`: the signatures on an image, each with one verdict against the trust
 * the user gives, offline (issue 20 item 2).
 *
 *   verify [--platform P] [--key FILE]… [--trusted-root FILE --certificate-identity ID
 *          --certificate-oidc-issuer URL] [--notation-config DIR] [--format text|json]
 *          [--insecure HOST]… [--no-creds] [--timeout SECONDS] REF
 *
 * What is read: cosign's `sha256-<hex>.sig` / `.att` tags, the referrers (Referrers API, else the
 * `sha256-<hex>` fallback tag), and with --platform the index's BuildKit attestation manifests for
 * the child. What is verified: cosign tag-scheme signatures (--key; their Rekor entry, and keyless
 * ones, against --trusted-root through @sigstore/verify) and attestations (--key, DSSE), Sigstore
 * bundles (--key; keyless with --trusted-root + identity + issuer), notation JWS and COSE
 * signatures (--notation-config, default notation's own folder when it holds a trust policy;
 * revocation never checked).
 *
 * Exit codes: 0 at least one signature verifies against the trust given; 1 none does (unsigned
 * included, said so); 2 usage; 3 the registry could not serve.
 */
import { platformText } from '../engine/platforms';
import { formatReference, isRegistryError, referenceWithDigest, type ImageReference, type RegistryClient } from '../registry';
import {
  findAttachments,
  hasTrust,
  loadTrustFiles,
  verifies,
  verifyAttachments,
  type SignatureResult,
  type SubjectDescriptor,
  type Trust,
} from '../supplychain';
import { applyRegistryOption, type RegistryOptions } from './inspectCommand';
import { indexEntries, noPlatformMessage, selectPlatform } from './indexEntries';
import { programName } from './program';
import { oneLine, openSession } from './registrySession';
import { safeWriter, terminalSafe } from './terminalText';

const USAGE = (): string =>
  `usage: ${programName()} verify [--platform OS/ARCH[/VARIANT]] [--key FILE]… [--trusted-root FILE --certificate-identity ID --certificate-oidc-issuer URL] [--notation-config DIR] [--format text|json] [--insecure HOST]… [--no-creds] [--timeout SECONDS] REFERENCE\n`;

/** The trust options `verify` and `tree` share. */
export interface TrustOptions {
  keyFiles: string[];
  trustedRoot?: string;
  identity?: string;
  issuer?: string;
  notationConfig?: string;
}

interface VerifyOptions extends RegistryOptions, TrustOptions {
  reference?: string;
  format: 'text' | 'json';
}

/** Usage text of the trust options. */
export const TRUST_USAGE = '[--key FILE]… [--trusted-root FILE --certificate-identity ID --certificate-oidc-issuer URL] [--notation-config DIR]';

/**
 * Takes one trust option (`--key`, `--trusted-root`, `--certificate-identity`,
 * `--certificate-oidc-issuer`, `--notation-config`): true when `name` was one, a string when its
 * value is missing, false when `name` is another option.
 */
export function applyTrustOption(name: string, value: () => string | undefined, o: TrustOptions): boolean | string {
  const what: Record<string, string> = {
    '--key': 'a PEM public key file',
    '--trusted-root': 'a trusted_root.json file',
    '--certificate-identity': 'the signer identity (an email or URI SAN)',
    '--certificate-oidc-issuer': 'the OIDC issuer URL',
    '--notation-config': 'a notation configuration folder',
  };
  if (!(name in what)) return false;
  const v = value();
  if (!v) return `${name} expects ${what[name]}`;
  if (name === '--key') o.keyFiles.push(v);
  else if (name === '--trusted-root') o.trustedRoot = v;
  else if (name === '--certificate-identity') o.identity = v;
  else if (name === '--certificate-oidc-issuer') o.issuer = v;
  else o.notationConfig = v;
  return true;
}

/** What is wrong with the trust options together, if anything. */
export function trustOptionsProblem(o: TrustOptions): string | undefined {
  if ((o.identity === undefined) !== (o.issuer === undefined) || (o.identity !== undefined && o.trustedRoot === undefined)) {
    return '--certificate-identity and --certificate-oidc-issuer go together, with --trusted-root (keyless verification needs all three)';
  }
  return undefined;
}

function parseVerifyArgs(args: readonly string[]): VerifyOptions | string {
  const o: VerifyOptions = { noCreds: false, insecureHosts: [], keyFiles: [], format: 'text' };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
    const applied = applyRegistryOption(name, value, o);
    if (typeof applied === 'string') return applied;
    if (applied) continue;
    const trustApplied = applyTrustOption(name, value, o);
    if (typeof trustApplied === 'string') return trustApplied;
    if (trustApplied) continue;
    switch (name) {
      case '--format': {
        const f = value();
        if (f !== 'text' && f !== 'json') return `--format must be text or json, got ${f === undefined ? 'nothing' : JSON.stringify(f)}`;
        o.format = f;
        break;
      }
      default:
        if (arg.startsWith('-')) return `unknown option ${JSON.stringify(arg)}`;
        if (o.reference !== undefined) return `one REFERENCE only (got ${JSON.stringify(o.reference)} and ${JSON.stringify(arg)})`;
        o.reference = arg;
    }
  }
  if (o.reference === undefined) return 'a REFERENCE is required';
  return trustOptionsProblem(o) ?? o;
}

/**
 * The trust from the options; a string is the usage error (a key that is not one, a folder
 * without a policy). Without --notation-config, notation's own folder when it holds a policy.
 */
export function loadTrust(o: TrustOptions, err: NodeJS.WritableStream, command = 'verify'): Trust | string {
  return loadTrustFiles(o, (line) => err.write(`${command}: ${line}\n`), { defaultNotation: true });
}

/** The manifest whose signatures are verified: the reference's, or with --platform the matching child. */
async function resolveSubject(client: RegistryClient, ref: ImageReference, o: VerifyOptions): Promise<{ ref: ImageReference; subject: SubjectDescriptor; parentIndex?: { digest: string; bytes: Uint8Array } }> {
  const top = await client.getManifest(ref);
  const descriptor = (m: typeof top): SubjectDescriptor => ({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, bytes: m.bytes });
  if (!o.platform) return { ref, subject: descriptor(top) };
  const entries = indexEntries(top.bytes);
  if (!entries) throw new VerifyError(`${formatReference(ref)} (${top.digest}) is not an index, so it has no platform ${platformText(o.platform)}; drop --platform`);
  const match = selectPlatform(entries, o.platform);
  if (!match) throw new VerifyError(noPlatformMessage(formatReference(ref), entries, o.platform));
  const childRef = referenceWithDigest(ref, match.digest);
  const child = await client.getManifest(childRef);
  return { ref: childRef, subject: descriptor(child), parentIndex: { digest: top.digest, bytes: top.bytes } };
}

class VerifyError extends Error {}

export async function runVerify(args: string[], out: NodeJS.WritableStream, rawErr: NodeJS.WritableStream): Promise<number> {
  const err = safeWriter(rawErr);
  const o = parseVerifyArgs(args);
  if (typeof o === 'string') {
    err.write(`verify: ${o}\n${USAGE()}`);
    return 2;
  }
  const trust = loadTrust(o, err);
  if (typeof trust === 'string') {
    err.write(`verify: ${trust}\n`);
    return 2;
  }
  const session = openSession('verify', { reference: o.reference!, insecureHosts: o.insecureHosts, noCreds: o.noCreds, timeoutSeconds: o.timeoutSeconds }, err);
  if (session === 2) return 2;
  const { client } = session;
  try {
    const { ref, subject, parentIndex } = await resolveSubject(client, session.ref, o);
    const found = await findAttachments(client, ref, subject.digest, parentIndex);
    const result = await verifyAttachments(client, ref, subject, found, trust);
    const ok = result.signatures.some((s) => verifies(s.verdict));
    const label = formatReference(ref);
    if (o.format === 'json') {
      out.write(JSON.stringify({
        reference: label,
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
        trust: { keys: trust.keys.map((k) => ({ file: k.label, fingerprint: k.fingerprint })), notationConfig: trust.notation?.dir ?? null, trustedRoot: o.trustedRoot ?? null },
        referrersVia: found.referrersApi ? 'referrers-api' : 'fallback-tag',
        signatures: result.signatures.map((s) => ({ kind: s.kind, where: s.where, signer: s.decoded.signer ?? null, signedAt: s.decoded.signedAt ?? null, logIndex: s.decoded.logIndex ?? null, predicateType: s.decoded.predicateType ?? null, summary: s.decoded.summary?.text ?? null, verdict: s.verdict })),
        others: result.others.map((a) => ({ kind: a.kind, where: a.where, predicateType: a.decoded?.predicateType ?? null, summary: a.decoded?.summary?.text ?? null })),
        problems: result.problems,
        verified: ok,
      }, null, 2) + '\n');
    } else {
      out.write(renderText(label, subject, result.signatures, result.others, result.problems, found.referrersApi, trust, ok, !!parentIndex));
    }
    return ok ? 0 : 1;
  } catch (e) {
    err.write(`verify: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    if (e instanceof VerifyError) return 3;
    return isRegistryError(e) && e.kind === 'invalid-reference' ? 2 : 3;
  } finally {
    await client.close().catch(() => undefined);
  }
}

function signerText(s: SignatureResult): string | undefined {
  const c = s.decoded.signer?.certificate;
  if (c) return `certificate ${c.subject ? `"${c.subject}"` : '(no subject)'}${c.sans.length ? `, SAN ${c.sans.join(', ')}` : ''}${c.oidcIssuer ? `, OIDC issuer ${c.oidcIssuer}` : ''}`;
  if (s.decoded.signer?.keyId) return `key id ${s.decoded.signer.keyId}`;
  return undefined;
}

/** The text report: one block per signature, registry text escaped (terminalSafe). */
function renderText(label: string, subject: SubjectDescriptor, signatures: readonly SignatureResult[], others: readonly { label: string; where: string; decoded?: { predicateType?: string; summary?: { text: string } } }[], problems: readonly string[], api: boolean, trust: Trust, ok: boolean, fromIndex: boolean): string {
  const t = terminalSafe;
  const lines: string[] = [`${t(label)}: ${subject.digest} (${t(subject.mediaType)}, ${subject.size} bytes)`];
  lines.push(`  looked at: cosign tags sha256-….sig/.att, referrers via ${api ? 'the Referrers API' : 'the fallback tag sha256-…'}${fromIndex ? ", the index's attestation manifests" : ''}`);
  for (const s of signatures) {
    lines.push(`${s.label}  ${t(s.where)}`);
    const signer = signerText(s);
    if (signer) lines.push(`  signer: ${t(signer)}`);
    if (s.decoded.signedAt) lines.push(`  signed: ${t(s.decoded.signedAt.time)} (${s.decoded.signedAt.source === 'rekor' ? "Rekor's integrated time, as the attached entry says" : s.decoded.signedAt.source === 'tsa' ? 'an RFC 3161 timestamp' : "the signer's claim"})`);
    if (s.decoded.logIndex) lines.push(`  log index: ${t(s.decoded.logIndex)}`);
    if (s.decoded.predicateType) lines.push(`  predicate: ${t(s.decoded.predicateType)}${s.decoded.summary ? ` — ${t(s.decoded.summary.text)}` : ''}`);
    const v = s.verdict;
    lines.push(`  verdict: ${v.text}${v.reason ? ` — ${t(v.reason)}` : ''}${v.by ? ` (by ${t(v.by)})` : ''}`);
    for (const n of v.notes) lines.push(`  note: ${t(n)}`);
  }
  for (const a of others) lines.push(`${a.label}  ${t(a.where)}${a.decoded?.summary ? ` — ${t(a.decoded.summary.text)}` : a.decoded?.predicateType ? ` — ${t(a.decoded.predicateType)}` : ''} (no signature of its own)`);
  for (const p of problems) lines.push(`problem: ${t(oneLine(p))}`);
  if (/index|manifest\.list/.test(subject.mediaType)) lines.push(`  (an index: the signatures of its platforms' manifests are verified with --platform OS/ARCH)`);
  const good = signatures.filter((s) => verifies(s.verdict)).length;
  if (signatures.length === 0) lines.push(`no signatures: nothing attached signs ${subject.digest}`);
  else if (!hasTrust(trust)) lines.push(`${signatures.length} signature${signatures.length === 1 ? '' : 's'}, none verified: no trust configured (--key, --trusted-root, --notation-config)`);
  else lines.push(ok ? `${good} of ${signatures.length} signature${signatures.length === 1 ? '' : 's'} verif${good === 1 ? 'ies' : 'y'} against the trust given` : `none of ${signatures.length} signature${signatures.length === 1 ? '' : 's'} verifies against the trust given`);
  return lines.join('\n') + '\n';
}
