import { RegistryError } from './errors';

/** A parsed, normalised image reference (distribution/reference semantics, rules.md §15). */
export interface ImageReference {
  /** Canonical registry name: 'docker.io', 'localhost:5000', 'quay.io', '[::1]:5000'. */
  readonly registry: string;
  /** host[:port] actually contacted: 'registry-1.docker.io' for docker.io, else the registry. */
  readonly apiHost: string;
  /** Repository path inside the registry, e.g. 'library/alpine'. */
  readonly repository: string;
  /** Tag; 'latest' when the input had neither tag nor digest. */
  readonly tag?: string;
  /** Digest 'algorithm:hex'; when present a fetch uses it rather than the tag. */
  readonly digest?: string;
}

export const DOCKER_HUB_REGISTRY = 'docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const LEGACY_HUB_DOMAIN = 'index.docker.io';
const MAX_PATH_LENGTH = 255;

// The grammar of distribution/reference regexp.go, spelled as JavaScript regular expressions.
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::([0-9]+))?`;

const remoteNameRe = new RegExp(`^${REMOTE_NAME}$`);
const domainRe = new RegExp(`^${DOMAIN_AND_PORT}$`);
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const identifierRe = /^[a-f0-9]{64}$/;

/** Hex lengths of the algorithms go-digest registers; anything else is unsupported. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

function invalid(message: string): RegistryError {
  return new RegistryError('invalid-reference', message);
}

/** The most characters of a person's input a message repeats (a tag is at most 128). */
const MAX_SHOWN = 140;

/**
 * Part of the input, fit to repeat in a message: control and bidi characters escaped (`\u001b`),
 * and a long one cut with its length said, so a 10,000-character tag is not echoed whole.
 */
export function shownInput(text: string): string {
  const cut = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 20)}… (${text.length} characters)` : text;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Checks an `algorithm:hex` digest the way go-digest does and returns the error text, or
 * undefined when it is valid.
 */
export function digestProblem(digest: string): string | undefined {
  if (!digestRe.test(digest)) return `invalid digest format: "${shownInput(digest)}" is not algorithm:hex (for example sha256: followed by 64 hex digits)`;
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const expected = DIGEST_HEX_LENGTH[algorithm];
  if (expected === undefined) return `invalid digest format: unsupported digest algorithm "${shownInput(algorithm)}" (use sha256)`;
  if (!/^[a-f0-9]+$/.test(hex)) return `invalid digest format: ${algorithm} digests are lowercase hex`;
  if (hex.length !== expected) return `invalid digest format: ${algorithm} digests have ${expected} hex digits, this one has ${hex.length}`;
  return undefined;
}

/**
 * Parses `[registry/]repository[:tag][@digest]` and normalises it as docker does: no registry
 * means docker.io, single-component Docker Hub names gain `library/`, `index.docker.io` becomes
 * `docker.io`, and the tag defaults to `latest` only when there is no digest. Surrounding
 * whitespace is ignored.
 *
 * @throws RegistryError of kind 'invalid-reference' whose message starts with the
 *   distribution/reference error text ("invalid reference format", "invalid tag format", …).
 */
export function parseReference(input: string): ImageReference {
  const s = input.trim();
  if (s === '') throw invalid('invalid reference format: repository name must have at least one component');
  if (identifierRe.test(s)) {
    throw invalid(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(s)) {
    throw invalid('invalid reference format: leave out the scheme (https://); write registry/repository:tag');
  }

  const at = s.indexOf('@');
  const namePart = at >= 0 ? s.slice(0, at) : s;
  const digestPart = at >= 0 ? s.slice(at + 1) : undefined;

  // The tag separator is the last ':' after the last '/' — earlier colons belong to a port.
  const lastSlash = namePart.lastIndexOf('/');
  const lastColon = namePart.lastIndexOf(':');
  const name = lastColon > lastSlash ? namePart.slice(0, lastColon) : namePart;
  const tagPart = lastColon > lastSlash ? namePart.slice(lastColon + 1) : undefined;

  // splitDockerDomain: the first component is a domain iff it is localhost, contains '.' or
  // ':' or has an uppercase letter.
  let registry = DOCKER_HUB_REGISTRY;
  let repository = name;
  const firstSlash = name.indexOf('/');
  if (firstSlash >= 0) {
    const first = name.slice(0, firstSlash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      registry = first;
      repository = name.slice(firstSlash + 1);
    }
  }

  if (registry !== DOCKER_HUB_REGISTRY) {
    const m = domainRe.exec(registry);
    if (!m) throw invalid(`invalid reference format: "${shownInput(registry)}" is not a valid registry host[:port]`);
    if (m[1] !== undefined && (Number(m[1]) < 1 || Number(m[1]) > 65535)) {
      throw invalid(`invalid reference format: port ${shownInput(m[1])} of "${shownInput(registry)}" is out of range`);
    }
  }
  if (registry === LEGACY_HUB_DOMAIN) registry = DOCKER_HUB_REGISTRY;

  if (repository === '') throw invalid('invalid reference format: repository name must have at least one component');
  if (!remoteNameRe.test(repository)) {
    if (remoteNameRe.test(repository.toLowerCase())) {
      throw invalid(`invalid reference format: repository name (${shownInput(repository)}) must be lowercase`);
    }
    throw invalid(
      `invalid reference format: repository "${shownInput(repository)}" may contain only lowercase letters and digits, ` +
        `separated by '.', '_', '__' or '-', with '/' between path components`,
    );
  }
  if (registry === DOCKER_HUB_REGISTRY && !repository.includes('/')) repository = `library/${repository}`;
  if (repository.length > MAX_PATH_LENGTH) {
    throw invalid(`repository name must not be more than ${MAX_PATH_LENGTH} characters (this one has ${repository.length})`);
  }

  if (tagPart !== undefined && !tagRe.test(tagPart)) {
    throw invalid(
      `invalid tag format: "${shownInput(tagPart)}" (a tag is 1 to 128 letters, digits, '_', '.' or '-' and does not start with '.' or '-')`,
    );
  }
  let digest: string | undefined;
  if (digestPart !== undefined) {
    const problem = digestProblem(digestPart);
    if (problem) throw invalid(problem);
    digest = digestPart;
  }

  const tag = tagPart ?? (digest === undefined ? 'latest' : undefined);
  return build(registry, repository, tag, digest);
}

function build(registry: string, repository: string, tag: string | undefined, digest: string | undefined): ImageReference {
  const ref: { registry: string; apiHost: string; repository: string; tag?: string; digest?: string } = {
    registry,
    apiHost: registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_API_HOST : registry,
    repository,
  };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return Object.freeze(ref);
}

/**
 * Validates what a person is typing. Returns undefined when `input` parses, otherwise the
 * message to show.
 */
export function validateReference(input: string): string | undefined {
  try {
    parseReference(input);
    return undefined;
  } catch (e) {
    return e instanceof RegistryError ? e.message : 'invalid reference format';
  }
}

/** Canonical text of a reference: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/**
 * The same repository pinned to `digest` (the tag is kept for display; fetches use the digest).
 *
 * @throws RegistryError 'invalid-reference' when `digest` is not a valid digest.
 */
export function referenceWithDigest(ref: ImageReference, digest: string): ImageReference {
  const problem = digestProblem(digest);
  if (problem) throw invalid(problem);
  return build(ref.registry, ref.repository, ref.tag, digest);
}

/** The same repository at `tag`, without a digest. */
export function referenceWithTag(ref: ImageReference, tag: string): ImageReference {
  if (!tagRe.test(tag)) throw invalid(`invalid tag format: "${tag}"`);
  return build(ref.registry, ref.repository, tag, undefined);
}

/**
 * The referrers fallback tag for a subject digest (distribution-spec 1.1.1): `<alg>-<hex>`,
 * algorithm cut to 32 characters, hex to 64, other characters replaced by '-'.
 */
export function referrersFallbackTag(digest: string): string {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon).slice(0, 32);
  const encoded = digest.slice(colon + 1).slice(0, 64);
  return `${algorithm}-${encoded}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}
