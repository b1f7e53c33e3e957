/**
 * dist/cli.js: prepares the engine, then loads the CLI (dist/cli-main.js, from cli.ts; issue 13).
 *  - Where the running Node has it (≥ 22.1), Node's compile cache, `module.enableCompileCache()`,
 *    so that V8 reuses the code it compiled at the last start instead of parsing and compiling
 *    the bundles again (the CPU profile of `inspect` shows compiling its bundle as its largest
 *    single cost). Node keeps the cache outside the install (NODE_COMPILE_CACHE, else the OS
 *    temp directory), so a read-only install works, and reports a cache it cannot write instead
 *    of throwing: only the start is slower then. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 *    Older Node (20) has no such API: there the CLI keeps a V8 code cache of its bundles in the
 *    user's cache directory (cli/codeCache.ts; MANIFEST_LENS_CODE_CACHE=0 turns it off).
 *  - The V8 flags of the registry commands, set before any of their code is compiled: V8
 *    rejects a cache made under other flags.
 * Kept apart from cli.ts so that the cache also covers the CLI's own code.
 */
import * as nodeModule from 'node:module';
import { basename, dirname, join } from 'node:path';

const command = process.argv[2];
// The commands that talk to a registry run with cli/registrySession.ts's oneShotEngineFlags.
const oneShot = command === 'inspect' || command === 'digest';
if (oneShot) {
  try {
    (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--liftoff-only');
  } catch {
    // an engine without the flag: only slower
  }
}

const enableCompileCache = (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache;
if (typeof enableCompileCache === 'function') {
  if (!process.env.NODE_DISABLE_COMPILE_CACHE) {
    try {
      enableCompileCache(); // reports a cache it cannot use instead of throwing; the try is for releases that might
    } catch {
      // no cache: only a slower start
    }
  }
} else {
  // Required here, not imported: on Node ≥ 22.1 it is not even loaded.
  try {
    const { installCodeCache } = require('./cli/codeCache') as typeof import('./cli/codeCache');
    // Our bundles only (dist/cli-*.js, next to this file): each one's cache is keyed to its bytes.
    installCodeCache((file) => dirname(file) === __dirname && /^cli-[a-z]+\.js$/.test(basename(file)), oneShot ? 'liftoff' : 'default');
  } catch {
    // no cache: only a slower start
  }
}

require(join(__dirname, 'cli-main.js'));
