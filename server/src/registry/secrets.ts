/**
 * The secrets a registry client holds (passwords, refresh and registry tokens, issued bearer
 * tokens) and every form they travel in, so that registry text (error bodies, Warning headers,
 * challenges) can be masked as it arrives, before anything cuts it short or puts it in a message.
 *
 * Forms: the value itself, URL-encoded (a form body or query echoed back), JSON-escaped, and
 * for a username and password the base64 `user:password` of HTTP Basic (with and without
 * padding, base64url too; with or without the `Basic ` prefix, since the prefix is not part of
 * what is masked). A fragment of 8 or more characters of any form is masked too, so text a
 * registry cut mid-secret leaks nothing. A secret shorter than 4 characters would match
 * ordinary words, so it is masked only where it stands as a word after a credential-ish word
 * ("password", "secret", "token", the username and a colon…).
 */

/** What replaces a secret. */
export const MASK = '***';

/** Fragments this long of a secret's forms are masked wherever they appear. */
const FRAGMENT = 8;

/** Words after which a short secret standing alone is taken for the secret. */
const CREDENTIAL_WORDS = /(?:pass(?:word|wd)?|secret|token|auth(?:orization)?|credential|login|user(?:name)?|basic|bearer)\b/gi;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface SecretMask {
  /** Holds `value` (and its encodings) as a secret. Empty values are ignored. */
  add(value: string | undefined): void;
  /** Holds a username and password: the password and the HTTP Basic forms of the pair. */
  addBasic(username: string, password: string): void;
  /** `text` with every held secret, its encodings and their fragments replaced by MASK. */
  mask(text: string): string;
  /**
   * Whether `bytes` contain one of the long, unmistakable secrets (tokens, the base64 pair, a
   * password of 12 or more characters): for refusing a successful body that echoes them.
   */
  containsLongSecret(bytes: Uint8Array): boolean;
}

export function createSecretMask(): SecretMask {
  /** Every form of 4 or more characters, longest first when masking. */
  const forms = new Set<string>();
  /** Secrets under 4 characters, masked in context only. */
  const short = new Set<string>();
  /** Forms a successful body must not contain. */
  const unmistakable = new Set<string>();
  const fragments = new Set<string>();
  let usernames: string[] = [];
  let sorted: string[] | undefined;

  const addForm = (form: string, long: boolean): void => {
    if (form.length < 4 || forms.has(form)) return;
    forms.add(form);
    sorted = undefined;
    if (long) unmistakable.add(form);
    for (let i = 0; i + FRAGMENT <= form.length; i++) fragments.add(form.slice(i, i + FRAGMENT));
  };

  const addValue = (value: string, long: boolean): void => {
    if (value.length < 4) {
      short.add(value);
      return;
    }
    addForm(value, long);
    addForm(encodeURIComponent(value), long);
    addForm(new URLSearchParams({ v: value }).toString().slice(2), long);
    addForm(JSON.stringify(value).slice(1, -1), long);
  };

  const maskFragments = (text: string): string => {
    if (fragments.size === 0 || text.length < FRAGMENT) return text;
    let covered: Uint8Array | undefined;
    for (let i = 0; i + FRAGMENT <= text.length; i++) {
      if (fragments.has(text.slice(i, i + FRAGMENT))) (covered ??= new Uint8Array(text.length)).fill(1, i, i + FRAGMENT);
    }
    if (!covered) return text;
    let out = '';
    for (let i = 0; i < text.length; ) {
      if (covered[i]) {
        out += MASK;
        while (i < text.length && covered[i]) i++;
      } else {
        out += text[i++];
      }
    }
    return out;
  };

  const maskShort = (text: string): string => {
    let out = text;
    for (const s of short) {
      const word = `(?<![A-Za-z0-9])${escapeRegExp(s)}(?![A-Za-z0-9])`;
      // After a credential-ish word (within a few characters), or after `username:`.
      const contexts = [CREDENTIAL_WORDS.source, ...usernames.map((u) => `${escapeRegExp(u)}\\s*:`)];
      const re = new RegExp(`((?:${contexts.join('|')})[^\\n]{0,24}?)${word}`, 'gi');
      out = out.replace(re, (_m, before: string) => `${before}${MASK}`);
    }
    return out;
  };

  return {
    add(value) {
      if (value) addValue(value, true);
    },
    addBasic(username, password) {
      if (!password) return;
      addValue(password, password.length >= 12);
      if (username && !usernames.includes(username)) usernames = [...usernames, username];
      const pair = Buffer.from(`${username}:${password}`, 'utf8');
      const b64 = pair.toString('base64');
      addForm(b64, true);
      addForm(b64.replace(/=+$/, ''), true);
      addForm(pair.toString('base64url'), true);
    },
    mask(text) {
      if (forms.size === 0 && short.size === 0) return text;
      sorted ??= [...forms].sort((a, b) => b.length - a.length);
      let out = text;
      for (const f of sorted) if (out.includes(f)) out = out.split(f).join(MASK);
      out = maskFragments(out);
      return short.size ? maskShort(out) : out;
    },
    containsLongSecret(bytes) {
      if (unmistakable.size === 0 || bytes.length === 0) return false;
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (const f of unmistakable) if (buf.includes(f)) return true;
      return false;
    },
  };
}
