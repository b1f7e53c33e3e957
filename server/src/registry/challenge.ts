/** One authentication challenge from a `WWW-Authenticate` header (RFC 7235 §4.1). */
export interface AuthChallenge {
  /** Scheme, lowercased: 'bearer', 'basic', … */
  readonly scheme: string;
  /** auth-params with lowercased names and unquoted values. */
  readonly params: Readonly<Record<string, string>>;
  /** The token68 form (`Negotiate abc==`), when the challenge used it instead of params. */
  readonly token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/**
 * Parses one or more `WWW-Authenticate` header values into challenges, in order.
 *
 * Handles several challenges in one value (`Basic realm="a", Bearer realm="b"`), quoted strings
 * containing commas and backslash-escaped quotes, token and token68 forms, optional whitespace
 * around `=`, and empty list elements. Malformed parts are skipped up to the next comma rather
 * than failing the whole header.
 */
export function parseChallenges(header: string | readonly string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const values = typeof header === 'string' ? [header] : header;
  const out: AuthChallenge[] = [];
  for (const v of values) parseInto(v, out);
  return out;
}

function parseInto(s: string, out: AuthChallenge[]): void {
  let i = 0;
  const n = s.length;
  const skipWs = (): void => {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TCHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  // RFC 7235 allows only a token here, but registries send unquoted URLs; read to ',' or space.
  const readBare = (): string => {
    const start = i;
    while (i < n && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string | undefined => {
    // s[i] is the opening quote
    i++;
    let value = '';
    while (i < n) {
      const c = s[i]!;
      if (c === '\\' && i + 1 < n) {
        value += s[i + 1];
        i += 2;
      } else if (c === '"') {
        i++;
        return value;
      } else {
        value += c;
        i++;
      }
    }
    return undefined; // unterminated
  };
  const skipToComma = (): void => {
    let inQuote = false;
    while (i < n) {
      const c = s[i]!;
      if (inQuote && c === '\\') i++;
      else if (c === '"') inQuote = !inQuote;
      else if (c === ',' && !inQuote) return;
      i++;
    }
  };
  // Looks ahead: does an auth-param (`token BWS = BWS value`) start at i?
  const paramAhead = (): boolean => {
    let j = i;
    while (j < n && TCHAR.test(s[j]!)) j++;
    if (j === i) return false;
    while (j < n && (s[j] === ' ' || s[j] === '\t')) j++;
    if (s[j] !== '=') return false;
    j++;
    while (j < n && (s[j] === ' ' || s[j] === '\t')) j++;
    // `abc==` is token68, not a param whose value starts with '='.
    return j < n && s[j] !== '=' && s[j] !== ',';
  };

  while (i < n) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    if (i >= n) break;
    const scheme = readToken();
    if (scheme === '') {
      skipToComma();
      continue;
    }
    const params: Record<string, string> = {};
    let token68: string | undefined;
    const afterScheme = i;
    skipWs();
    if (i > afterScheme && i < n && s[i] !== ',') {
      if (paramAhead()) {
        // #auth-param, possibly spanning commas, until something that is not a param begins.
        for (;;) {
          skipWs();
          const name = readToken().toLowerCase();
          skipWs();
          i++; // '='
          skipWs();
          let value: string | undefined;
          if (s[i] === '"') value = readQuoted();
          else value = readBare();
          if (value === undefined) break;
          if (!(name in params)) params[name] = value;
          skipWs();
          if (i < n && s[i] !== ',') skipToComma();
          // Past the comma(s): another param of this challenge, or the next challenge.
          const save = i;
          while (i < n && (s[i] === ',' || s[i] === ' ' || s[i] === '\t')) i++;
          if (i >= n) break;
          if (!paramAhead()) {
            i = save;
            break;
          }
        }
      } else {
        const start = i;
        while (i < n && TOKEN68_CHAR.test(s[i]!)) i++;
        while (i < n && s[i] === '=') i++;
        if (i > start) token68 = s.slice(start, i);
        skipWs();
        if (i < n && s[i] !== ',') skipToComma();
      }
    } else if (i < n && s[i] !== ',') {
      // Something glued to the scheme that is not a separator: malformed.
      skipToComma();
      continue;
    }
    const challenge: { scheme: string; params: Record<string, string>; token68?: string } = {
      scheme: scheme.toLowerCase(),
      params,
    };
    if (token68 !== undefined) challenge.token68 = token68;
    out.push(challenge);
  }
}

/** Splits a space-separated `scope` parameter (token.md allows several scopes in one). */
export function splitScopes(scope: string | undefined): string[] {
  if (!scope) return [];
  return scope.split(' ').filter((x) => x !== '');
}
