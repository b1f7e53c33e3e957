/**
 * Notary Project (notation) JWS and COSE signatures, verified offline against a notation configuration
 * folder in notation's own layout: trustpolicy.oci.json (else trustpolicy.json) and
 * truststore/x509/{ca,signingAuthority}/NAME/*.pem|crt. jose checks the JWS (with the `crit`
 * parameters notation defines; any other critical header is refused), @peculiar/x509 the chain.
 * Revocation (OCSP/CRL) is never checked offline: verdicts say so, and never claim `strict`.
 */
import { constants as cryptoConstants, verify as cryptoVerify } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { flattenedVerify } from 'jose';
import type { X509Certificate } from '@peculiar/x509';
import { certificateKey, MAX_CHAIN_CERTIFICATES, parseCertificate, parseCertificates, signingCertificateProblem, verifyChain } from './certificates';
import { decodeNotationJws } from './decode';
import { CborTag, decodeCbor, encodeSigStructure, type CborValue } from './cbor';
import { readSmallFile } from './smallFile';
import { verdict, type Verdict } from './verdict';

/** The protected headers notation may mark critical (signature-envelope-jws.md). */
const KNOWN_CRIT = ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry', 'io.cncf.notary.authenticSigningTime', 'io.cncf.notary.verificationPlugin', 'io.cncf.notary.verificationPluginMinVersion'];
const JWS_ALGORITHMS = ['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];

export interface TrustPolicy {
  readonly name: string;
  readonly registryScopes: readonly string[];
  readonly level: string;
  readonly trustStores: readonly string[];
  readonly trustedIdentities: readonly string[];
}

export interface NotationConfig {
  readonly dir: string;
  readonly policyFile: string;
  readonly policies: readonly TrustPolicy[];
  /** `ca:NAME` / `signingAuthority:NAME` → its certificates. */
  readonly stores: ReadonlyMap<string, readonly X509Certificate[]>;
}

/** notation's own configuration folder: $XDG_CONFIG_HOME/notation (~/.config/notation), ~/Library/Application Support/notation on macOS, %APPDATA%\\notation on Windows. */
export function defaultNotationDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'notation');
  if (process.platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'notation');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'notation');
}

const MAX_FILE = 1024 * 1024;

/** A policy or certificate file's bytes; undefined when it is not a regular file of at most 1 MiB. */
function readSmall(path: string): Buffer | undefined {
  const read = readSmallFile(path, MAX_FILE, 'a notation configuration file');
  return typeof read === 'string' ? undefined : read.bytes;
}

/** notation's verification levels (trust-store-trust-policy.md). */
const POLICY_LEVELS = ['strict', 'permissive', 'audit', 'skip'];

/** Loads a notation configuration folder; a string is why it cannot be used. */
export function loadNotationConfig(dir: string): NotationConfig | string {
  const policy = ['trustpolicy.oci.json', 'trustpolicy.json'].map((f) => join(dir, f)).map((file) => ({ file, bytes: readSmall(file) })).find((p) => p.bytes !== undefined);
  if (!policy) return `${dir}: no trustpolicy.oci.json or trustpolicy.json (notation's trust policy) in it`;
  const policyFile = policy.file;
  let doc: unknown;
  try {
    doc = JSON.parse(policy.bytes!.toString('utf8'));
  } catch (e) {
    return `${policyFile}: not JSON (${e instanceof Error ? e.message : String(e)})`;
  }
  const raw = (doc as { trustPolicies?: unknown } | null)?.trustPolicies;
  if (!Array.isArray(raw)) return `${policyFile}: no trustPolicies array`;
  const policies: TrustPolicy[] = [];
  // A policy notation itself would refuse is refused here too, never read the lenient way: a
  // level it does not know, a scope two policies claim (which one applies?), a field of the
  // wrong type that would otherwise read as empty.
  const scopes = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const o = raw[i] as Record<string, unknown> | null;
    const name = o && typeof o === 'object' && typeof o.name === 'string' && o.name ? o.name : undefined;
    const what = `${policyFile}: trust policy ${name ? JSON.stringify(name) : `#${i + 1}`}`;
    if (!o || typeof o !== 'object' || Array.isArray(o)) return `${policyFile}: trust policy #${i + 1} is not an object`;
    if (!name) return `${what} has no name`;
    const sv = o.signatureVerification as Record<string, unknown> | undefined;
    const level = sv && typeof sv === 'object' ? sv.level : undefined;
    if (typeof level !== 'string' || !POLICY_LEVELS.includes(level)) return `${what}: signatureVerification.level must be one of ${POLICY_LEVELS.join(', ')}, got ${JSON.stringify(level ?? null)}`;
    const list = (field: string): string[] | string => {
      const v = o[field];
      if (v === undefined && level === 'skip' && field !== 'registryScopes') return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) return `${what}: ${field} must be an array of strings`;
      return v as string[];
    };
    const registryScopes = list('registryScopes');
    const trustStores = list('trustStores');
    const trustedIdentities = list('trustedIdentities');
    for (const l of [registryScopes, trustStores, trustedIdentities]) if (typeof l === 'string') return l;
    const r = registryScopes as string[];
    if (r.length === 0 || (r.includes('*') && r.length > 1)) return `${what}: registryScopes must name repositories, or be ["*"] alone`;
    for (const sc of r) {
      if (scopes.has(sc)) return `${what}: the registry scope ${JSON.stringify(sc)} is in more than one trust policy`;
      scopes.add(sc);
    }
    const ids = trustedIdentities as string[];
    if (ids.includes('*') && ids.length > 1) return `${what}: trustedIdentities must be ["*"] alone or x509.subject: values`;
    policies.push({ name, registryScopes: r, level, trustStores: trustStores as string[], trustedIdentities: ids });
  }
  const stores = new Map<string, X509Certificate[]>();
  for (const type of ['ca', 'signingAuthority']) {
    const base = join(dir, 'truststore', 'x509', type);
    let names: string[] = [];
    try {
      names = readdirSync(base);
    } catch {
      continue;
    }
    for (const name of names.slice(0, 100)) {
      let files: string[] = [];
      try {
        files = readdirSync(join(base, name)).slice(0, 100);
      } catch {
        continue;
      }
      const certs = files.flatMap((f) => {
        const bytes = readSmall(join(base, name, f));
        if (bytes === undefined) return [];
        const text = bytes.toString('utf8');
        if (text.includes('-----BEGIN CERTIFICATE-----')) return parseCertificates(text);
        const der = parseCertificate(new Uint8Array(bytes));
        return der ? [der] : [];
      });
      stores.set(`${type}:${name}`, certs);
    }
  }
  return { dir, policyFile, policies, stores };
}

/** The policy for `registry/repository`: an exact scope first, else the wildcard `*`. */
export function policyFor(config: NotationConfig, scope: string): TrustPolicy | undefined {
  return config.policies.find((p) => p.registryScopes.includes(scope)) ?? config.policies.find((p) => p.registryScopes.includes('*'));
}

/**
 * A distinguished name as attribute → value (`C=US, O=Example` and `O=Example,C=US` are equal);
 * undefined when an attribute appears twice (`O=Evil, O=Example` must not match `O=Example`:
 * notation refuses such a name, and the last one winning would let it match).
 */
function dnMap(dn: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const part of dn.split(/(?<!\\),/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toUpperCase();
    if (out.has(key)) return undefined;
    out.set(key, part.slice(eq + 1).trim());
  }
  return out;
}

/** Whether the leaf's subject matches one of the policy's trusted identities (`*` or `x509.subject: DN`). */
function identityMatches(identities: readonly string[], subject: string): boolean {
  if (identities.includes('*')) return true;
  const have = dnMap(subject);
  if (!have) return false;
  return identities.some((id) => {
    const m = /^x509\.subject:\s*(.*)$/.exec(id);
    if (!m) return false;
    const want = dnMap(m[1]);
    return !!want && want.size > 0 && [...want].every(([k, v]) => have.get(k) === v);
  });
}

export interface NotationInput {
  readonly envelope: Uint8Array;
  /** The manifest the signature was found for: what targetArtifact must name. */
  readonly subject: { readonly mediaType: string; readonly digest: string; readonly size: number };
  /** `registry/repository`, for the policy's registryScopes. */
  readonly scope: string;
  readonly config?: NotationConfig;
  readonly now?: Date;
}

const REVOCATION = 'revocation not checked';

/** What both envelope formats give the trust checks. */
interface Envelope {
  readonly crit: readonly (string | number)[];
  readonly signingScheme?: string;
  readonly expiry?: string;
  readonly x5c: readonly Uint8Array[];
  readonly targetArtifact?: { readonly mediaType?: string; readonly digest?: string; readonly size?: number };
  /** Checks the signature with the leaf's key: undefined when it verifies, else why not. */
  verify(leaf: X509Certificate): Promise<string | undefined>;
}

/** The verdict on one notation JWS signature envelope. */
export async function verifyNotationJws(input: NotationInput): Promise<Verdict> {
  const jws = decodeNotationJws(input.envelope);
  if (!jws) return verdict('invalid', { reason: 'not a JWS in flattened JSON serialization' });
  return verifyEnvelope(input, {
    ...jws,
    verify: async (leaf) => {
      try {
        // jose refuses a crit parameter it is not told about, as notation requires.
        await flattenedVerify(jws.envelope as never, certificateKey(leaf), { algorithms: JWS_ALGORITHMS, crit: Object.fromEntries(KNOWN_CRIT.map((c) => [c, true])) });
        return undefined;
      } catch (e) {
        const code = (e as { code?: string }).code;
        return code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? "altered bytes: the JWS signature does not verify with the signing certificate's key" : `the JWS does not verify (${e instanceof Error ? e.message : String(e)})`;
      }
    },
  });
}

/** COSE algorithm ids notation uses: hash, and whether it is RSASSA-PSS (else ECDSA). */
const COSE_ALGORITHMS: ReadonlyMap<number, { hash: string; pss: boolean; saltLength?: number }> = new Map([
  [-7, { hash: 'sha256', pss: false }],
  [-35, { hash: 'sha384', pss: false }],
  [-36, { hash: 'sha512', pss: false }],
  [-37, { hash: 'sha256', pss: true, saltLength: 32 }],
  [-38, { hash: 'sha384', pss: true, saltLength: 48 }],
  [-39, { hash: 'sha512', pss: true, saltLength: 64 }],
]);

const COSE_X5CHAIN = 33;

/**
 * The verdict on one notation COSE_Sign1 envelope (signature-envelope-cose.md). node:crypto
 * checks the signature over the Sig_structure built from the protected header's original bytes
 * (no well-kept COSE library for Node keeps them; cose-js re-encodes).
 */
export async function verifyNotationCose(input: NotationInput): Promise<Verdict> {
  let top: CborValue;
  try {
    top = decodeCbor(input.envelope);
  } catch (e) {
    return verdict('invalid', { reason: `not a COSE_Sign1 envelope (${e instanceof Error ? e.message : String(e)})` });
  }
  if (top instanceof CborTag && top.tag === 18) top = top.value;
  if (!Array.isArray(top) || top.length !== 4 || !(top[0] instanceof Uint8Array) || !(top[1] instanceof Map) || !(top[2] instanceof Uint8Array) || !(top[3] instanceof Uint8Array)) {
    return verdict('invalid', { reason: 'not a COSE_Sign1 envelope (an array of protected header, unprotected header, payload, signature)' });
  }
  const [protectedBytes, unprotected, payload, signature] = top as [Uint8Array, Map<CborValue, CborValue>, Uint8Array, Uint8Array];
  let protectedHeader: CborValue;
  try {
    protectedHeader = decodeCbor(protectedBytes);
  } catch {
    return verdict('invalid', { reason: 'the COSE protected header is not CBOR' });
  }
  if (!(protectedHeader instanceof Map)) return verdict('invalid', { reason: 'the COSE protected header is not a map' });
  const h = protectedHeader;
  const crit = Array.isArray(h.get(2)) ? (h.get(2) as CborValue[]).filter((c): c is string | number => typeof c === 'string' || typeof c === 'number') : [];
  const time = (v: CborValue): string | undefined => {
    const n = v instanceof CborTag && v.tag === 1 ? v.value : v;
    return typeof n === 'number' ? new Date(n * 1000).toISOString() : undefined;
  };
  const chain = unprotected.get(COSE_X5CHAIN);
  const x5c = chain instanceof Uint8Array ? [chain] : Array.isArray(chain) ? chain.filter((c): c is Uint8Array => c instanceof Uint8Array) : [];
  let target: Envelope['targetArtifact'];
  try {
    const t = (JSON.parse(Buffer.from(payload).toString('utf8')) as { targetArtifact?: Record<string, unknown> }).targetArtifact;
    if (t && typeof t === 'object') target = { mediaType: typeof t.mediaType === 'string' ? t.mediaType : undefined, digest: typeof t.digest === 'string' ? t.digest : undefined, size: typeof t.size === 'number' ? t.size : undefined };
  } catch {
    target = undefined;
  }
  const scheme = h.get('io.cncf.notary.signingScheme');
  const expiry = time(h.get('io.cncf.notary.expiry'));
  return verifyEnvelope(input, {
    crit,
    ...(typeof scheme === 'string' ? { signingScheme: scheme } : {}),
    ...(expiry ? { expiry } : {}),
    x5c,
    ...(target ? { targetArtifact: target } : {}),
    verify: async (leaf) => {
      const alg = COSE_ALGORITHMS.get(h.get(1) as number);
      if (!alg) return `COSE algorithm ${String(h.get(1))} is not one notation uses`;
      const toBeSigned = encodeSigStructure(['Signature1', protectedBytes, new Uint8Array(0), payload]);
      const key = certificateKey(leaf);
      let ok = false;
      try {
        ok = cryptoVerify(alg.hash, toBeSigned, alg.pss ? { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength } : { key, dsaEncoding: 'ieee-p1363' }, signature);
      } catch {
        ok = false;
      }
      return ok ? undefined : "altered bytes: the COSE signature does not verify with the signing certificate's key";
    },
  });
}

async function verifyEnvelope(input: NotationInput, env: Envelope): Promise<Verdict> {
  if (!input.config) return verdict('not-verified', { reason: 'give --notation-config DIR (a folder with trustpolicy.json and truststore/x509/ca/NAME/*.pem)' });
  const policy = policyFor(input.config, input.scope);
  if (!policy) return verdict('not-verified', { reason: `no trust policy in ${input.config.policyFile} covers ${input.scope}` });
  if (policy.level === 'skip') return verdict('not-verified', { reason: `trust policy "${policy.name}" skips verification for ${input.scope}` });
  if (!env.crit.includes('io.cncf.notary.signingScheme')) return verdict('invalid', { reason: "the protected header's crit does not list io.cncf.notary.signingScheme" });
  const unknown = env.crit.filter((c) => typeof c !== 'string' || !KNOWN_CRIT.includes(c));
  if (unknown.length) return verdict('invalid', { reason: `unknown critical header ${unknown.map((c) => JSON.stringify(c)).join(', ')}` });
  if (env.signingScheme !== 'notary.x509') return verdict('invalid', { reason: `signing scheme ${JSON.stringify(env.signingScheme ?? '')} is not verified by this version (notary.x509 is)` });
  if (env.x5c.length > MAX_CHAIN_CERTIFICATES) return verdict('invalid', { reason: `the certificate chain (x5c / x5chain) holds ${env.x5c.length} certificates; at most ${MAX_CHAIN_CERTIFICATES} are read` });
  const certs = env.x5c.map((d) => parseCertificate(new Uint8Array(d)));
  if (certs.length === 0 || certs.some((c) => !c)) return verdict('invalid', { reason: 'the certificate chain (x5c / x5chain) is missing or holds something that is not a certificate' });
  const [leaf, ...rest] = certs as X509Certificate[];
  const now = input.now ?? new Date();
  const anchors = policy.trustStores.filter((st) => st.startsWith('ca:')).flatMap((st) => input.config!.stores.get(st) ?? []);
  if (anchors.length === 0) return verdict('not-verified', { reason: `trust policy "${policy.name}" names no ca: trust store with certificates (${policy.trustStores.join(', ') || 'none'})` });
  // Integrity first: the envelope's signature with the leaf's key.
  const broken = await env.verify(leaf);
  if (broken) return verdict('invalid', { reason: broken });
  const notSigning = signingCertificateProblem(leaf);
  if (notSigning) return verdict('invalid', { reason: `untrusted certificate: ${notSigning}` });
  const chain = await verifyChain(leaf, rest, anchors, now);
  if (!chain.ok) return verdict('invalid', { reason: `untrusted certificate: ${chain.reason}` });
  const t = env.targetArtifact;
  const s = input.subject;
  if (!t || t.digest !== s.digest) return verdict('invalid', { reason: `the payload names another digest: ${t?.digest ?? '(none)'} (this image is ${s.digest})` });
  if (t.size !== s.size) return verdict('invalid', { reason: `the payload names size ${t.size ?? '(none)'}, the manifest is ${s.size} bytes` });
  if (t.mediaType !== s.mediaType) return verdict('invalid', { reason: `the payload names media type ${t.mediaType ?? '(none)'}, the manifest is ${s.mediaType}` });
  if (env.expiry && !(Date.parse(env.expiry) > now.getTime())) return verdict('invalid', { reason: `the signature expired on ${env.expiry}` });
  if (!identityMatches(policy.trustedIdentities, leaf.subject)) {
    return verdict('invalid', { reason: `the signer "${leaf.subject}" is not among the trusted identities of policy "${policy.name}"` });
  }
  const store = policy.trustStores.find((st) => (input.config!.stores.get(st) ?? []).some((c) => Buffer.from(c.rawData).equals(Buffer.from(chain.anchor.rawData))));
  return verdict('verified', { by: `trust store ${store ?? '?'} (policy "${policy.name}", level ${policy.level || 'unset'}), signer "${leaf.subject}"`, notes: [REVOCATION] });
}
