/**
 * Where the external programs the registry suites need live, and the loud skip used when one
 * is missing. A missing tool must never make a suite pass silently: each suite passes the
 * reason to `test(…, { skip })` and a warning line goes to stderr once per process.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const INSTALL_HINT = 'run node scripts/ensure-deps.mjs (needs root/apt)';

/** Finds an executable: an absolute candidate first, then each name on PATH. */
export function findExecutable(candidates: readonly string[]): string | undefined {
  for (const c of candidates) {
    const paths = c.includes('/') ? [c] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, c));
    for (const p of paths) {
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * The distribution registry binary: $MANIFEST_LENS_REGISTRY_BIN when set (and only it, so a
 * test run can simulate a missing registry with a bad path), else Debian's docker-registry, else
 * `docker-registry` or `registry` on PATH.
 */
export function registryBinary(): string | undefined {
  const fromEnv = process.env.MANIFEST_LENS_REGISTRY_BIN;
  if (fromEnv !== undefined) return findExecutable([fromEnv]);
  return findExecutable(['/usr/bin/docker-registry', 'docker-registry', 'registry']);
}

/** skopeo, the peer whose raw output must match ours byte for byte ($MANIFEST_LENS_SKOPEO_BIN overrides). */
export function skopeoBinary(): string | undefined {
  const fromEnv = process.env.MANIFEST_LENS_SKOPEO_BIN;
  if (fromEnv !== undefined) return findExecutable([fromEnv]);
  return findExecutable(['/usr/bin/skopeo', 'skopeo']);
}

const warned = new Set<string>();

function missing(tool: string, also = ''): string {
  const reason = `${tool} is not installed: ${INSTALL_HINT}${also}`;
  if (!warned.has(reason)) {
    warned.add(reason);
    process.stderr.write(`WARNING: SKIPPING registry tests: ${reason}\n`);
  }
  return reason;
}

/**
 * The skip reason for suites that need a real registry (and whatever else is listed), or
 * undefined when everything is there. Prints a WARNING line to stderr when something is missing.
 */
export function skipUnlessTools(need: { registry?: boolean; skopeo?: boolean; openssl?: boolean; htpasswd?: boolean }): string | undefined {
  if (need.registry && !registryBinary()) return missing('docker-registry');
  if (need.skopeo && !skopeoBinary()) return missing('skopeo');
  if (need.openssl && !findExecutable(['/usr/bin/openssl', 'openssl'])) return missing('openssl');
  if (need.htpasswd && !findExecutable(['/usr/bin/htpasswd', 'htpasswd'])) return missing('htpasswd', ' (Debian package apache2-utils)');
  return undefined;
}
