/**
 * Trust read from the files the user names (`--key`, `--trusted-root`, `--notation-config` on the
 * command line; `manifestLens.trust.*` in the editor). Never guessed: notation's own folder is
 * read only when the caller says so (the command line, as notation does; never the editor).
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { Trust } from './attachments';
import { parseTrustedRoot } from './bundle';
import { loadPublicKey, type TrustedKey } from './cosignKey';
import { defaultNotationDir, loadNotationConfig, type NotationConfig } from './notation';

export interface TrustFiles {
  readonly keyFiles: readonly string[];
  readonly trustedRoot?: string;
  readonly identity?: string;
  readonly issuer?: string;
  readonly notationConfig?: string;
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

/**
 * The trust the files give; a string is what is wrong (named by the option `names` gives it: a
 * key that is not one, a folder without a policy). `note` hears what is worth saying (the trusted
 * root's age, notation's own folder used).
 */
export function loadTrustFiles(o: TrustFiles, note: (line: string) => void, options: { defaultNotation: boolean; names?: { key: string; trustedRoot: string; notationConfig: string } } = { defaultNotation: false }): Trust | string {
  const names = options.names ?? { key: '--key', trustedRoot: '--trusted-root', notationConfig: '--notation-config' };
  const keys: TrustedKey[] = [];
  for (const file of o.keyFiles) {
    const read = readSmallFile(file, MAX_KEY_FILE, 'a PEM public key');
    if (typeof read === 'string') return `${names.key} ${file}: ${read}`;
    const text = read.text;
    const k = loadPublicKey(text, file);
    if (typeof k === 'string') return `${names.key} ${k}`;
    keys.push(k);
  }
  let trustedRoot: TrustedRoot | undefined;
  if (o.trustedRoot) {
    try {
      const read = readSmallFile(o.trustedRoot, MAX_TRUSTED_ROOT, 'a trusted_root.json');
      if (typeof read === 'string') return `${names.trustedRoot} ${o.trustedRoot}: ${read}`;
      const root = parseTrustedRoot(JSON.parse(read.text));
      if (typeof root === 'string') return `${names.trustedRoot} ${o.trustedRoot}: ${root}`;
      trustedRoot = root;
      const days = Math.floor((Date.now() - read.mtimeMs) / 86_400_000);
      note(`trusted root ${o.trustedRoot} (written ${days} day${days === 1 ? '' : 's'} ago; it rotates: refresh it from Sigstore's TUF repository)`);
    } catch (e) {
      return `${names.trustedRoot} ${o.trustedRoot}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  let notation: NotationConfig | undefined;
  if (o.notationConfig !== undefined) {
    const c = loadNotationConfig(o.notationConfig);
    if (typeof c === 'string') return `${names.notationConfig} ${c}`;
    notation = c;
  } else if (options.defaultNotation) {
    const c = loadNotationConfig(defaultNotationDir());
    if (typeof c !== 'string') {
      note(`notation trust from ${c.policyFile} (notation's own configuration; --notation-config DIR to use another)`);
      notation = c;
    }
  }
  return { keys, ...(trustedRoot ? { trustedRoot, identity: o.identity, issuer: o.issuer } : {}), ...(notation ? { notation } : {}) };
}
