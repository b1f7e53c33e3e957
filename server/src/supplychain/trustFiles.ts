/**
 * Trust read from the files the user names (`--key`, `--trusted-root`, `--notation-config` on the
 * command line; `manifestLens.trust.*` in the editor). Never guessed: notation's own folder is
 * read only when the caller says so (the command line, as notation does; never the editor).
 */
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { Trust } from './attachments';
import { parseTrustedRoot } from './bundle';
import { loadPublicKey, type TrustedKey } from './cosignKey';
import { defaultNotationDir, loadNotationConfig, type NotationConfig } from './notation';
import { readSmallFile } from './smallFile';

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
    const k = loadPublicKey(read.bytes.toString('utf8'), file);
    if (typeof k === 'string') return `${names.key} ${k}`;
    keys.push(k);
  }
  let trustedRoot: TrustedRoot | undefined;
  if (o.trustedRoot) {
    try {
      const read = readSmallFile(o.trustedRoot, MAX_TRUSTED_ROOT, 'a trusted_root.json');
      if (typeof read === 'string') return `${names.trustedRoot} ${o.trustedRoot}: ${read}`;
      const root = parseTrustedRoot(JSON.parse(read.bytes.toString('utf8')));
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
