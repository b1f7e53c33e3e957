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
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';
import { platformText } from '../engine/platforms';
import { formatReference, isRegistryError, referenceWithDigest, type ImageReference, type RegistryClient } from '../registry';
import {
  defaultNotationDir,
  findAttachments,
  hasTrust,
  loadNotationConfig,
  loadPublicKey,
  parseTrustedRoot,
  verifies,
  verifyAttachments,
  type NotationConfig,
  type SignatureResult,
  type SubjectDescriptor,
  type Trust,
  type TrustedKey,
} from '../supplychain';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { applyRegistryOption, type RegistryOptions } from './inspectCommand';
import { indexEntries, noPlatformMessage, selectPlatform } from './indexEntries';
import { programName } from './program';
import { oneLine, openSession } from './registrySession';
import { safeWriter, terminalSafe } from './terminalText';

const USAGE = (): string =>
  `usage: ${programName()} verify [--platform OS/ARCH[/VARIANT]] [--key FILE]… [--trusted-root FILE --certificate-identity ID --certificate-oidc-issuer URL] [--notation-config DIR] [--format text|json] [--insecure HOST]… [--no-creds] [--timeout SECONDS] REFERENCE\n`;

interface VerifyOptions extends RegistryOptions {
  reference?: string;
  keyFiles: string[];
  trustedRoot?: string;
  identity?: string;
  issuer?: string;
  notationConfig?: string;
  format: 'text' | 'json';
}

const MAX_KEY_FILE = 64 * 1024;
const MAX_TRUSTED_ROOT = 4 * 1024 * 1024;

/**
 * A small regular file's text, or why not: opened without blocking (a FIFO would wait for a
 * writer for ever), refused unless a regular file (/dev/zero, a FIFO, a folder have no end or no
 * size), read to at most `max` bytes.
 */
export function readSmallFile(file: string, max: number, what: string): { text: string; mtimeMs: number } | string {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : code ?? (e instanceof Error ? e.message : String(e));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return `not a regular file (${st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a folder' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'a special file'}), not ${what}`;
    if (st.size > max) return `larger than ${max} bytes, not ${what}`;
    const buf = Buffer.alloc(max + 1);
    let read = 0;
    for (let n = -1; n !== 0 && read <= max; read += n) n = readSync(fd, buf, read, max + 1 - read, read);
    if (read > max) return `larger than ${max} bytes, not ${what}`;
    return { text: buf.subarray(0, read).toString('utf8'), mtimeMs: st.mtimeMs };
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
  } finally {
    closeSync(fd);
  }
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
    const need = (what: string): string | { error: string } => {
      const v = value();
      return v ? v : { error: `${name} expects ${what}` };
    };
    let v: string | { error: string };
    switch (name) {
      case '--key':
        v = need('a PEM public key file');
        if (typeof v !== 'string') return v.error;
        o.keyFiles.push(v);
        break;
      case '--trusted-root':
        v = need('a trusted_root.json file');
        if (typeof v !== 'string') return v.error;
        o.trustedRoot = v;
        break;
      case '--certificate-identity':
        v = need('the signer identity (an email or URI SAN)');
        if (typeof v !== 'string') return v.error;
        o.identity = v;
        break;
      case '--certificate-oidc-issuer':
        v = need('the OIDC issuer URL');
        if (typeof v !== 'string') return v.error;
        o.issuer = v;
        break;
      case '--notation-config':
        v = need('a notation configuration folder');
        if (typeof v !== 'string') return v.error;
        o.notationConfig = v;
        break;
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
  if ((o.identity === undefined) !== (o.issuer === undefined) || (o.identity !== undefined && o.trustedRoot === undefined)) {
    return '--certificate-identity and --certificate-oidc-issuer go together, with --trusted-root (keyless verification needs all three)';
  }
  return o;
}

/** The trust from the options; a string is the usage error (a key that is not one, a folder without a policy). */
function loadTrust(o: VerifyOptions, err: NodeJS.WritableStream): Trust | string {
  const keys: TrustedKey[] = [];
  for (const file of o.keyFiles) {
    const read = readSmallFile(file, MAX_KEY_FILE, 'a PEM public key');
    if (typeof read === 'string') return `--key ${file}: ${read}`;
    const k = loadPublicKey(read.text, file);
    if (typeof k === 'string') return `--key ${k}`;
    keys.push(k);
  }
  let trustedRoot: TrustedRoot | undefined;
  if (o.trustedRoot) {
    try {
      const read = readSmallFile(o.trustedRoot, MAX_TRUSTED_ROOT, 'a trusted_root.json');
      if (typeof read === 'string') return `--trusted-root ${o.trustedRoot}: ${read}`;
      const root = parseTrustedRoot(JSON.parse(read.text));
      if (typeof root === 'string') return `--trusted-root ${o.trustedRoot}: ${root}`;
      trustedRoot = root;
      const days = Math.floor((Date.now() - read.mtimeMs) / 86_400_000);
      err.write(`verify: trusted root ${o.trustedRoot} (written ${days} day${days === 1 ? '' : 's'} ago; it rotates: refresh it from Sigstore's TUF repository)\n`);
    } catch (e) {
      return `--trusted-root ${o.trustedRoot}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  let notation: NotationConfig | undefined;
  if (o.notationConfig !== undefined) {
    const c = loadNotationConfig(o.notationConfig);
    if (typeof c === 'string') return `--notation-config ${c}`;
    notation = c;
  } else {
    const c = loadNotationConfig(defaultNotationDir());
    if (typeof c !== 'string') {
      err.write(`verify: notation trust from ${c.policyFile} (notation's own configuration; --notation-config DIR to use another)\n`);
      notation = c;
    }
  }
  return { keys, ...(trustedRoot ? { trustedRoot, identity: o.identity, issuer: o.issuer } : {}), ...(notation ? { notation } : {}) };
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
