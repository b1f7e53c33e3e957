// Bundles the extension, the language server and the CLI with esbuild, so the .vsix
// carries no node_modules. `--production` minifies and drops source maps.
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  // jsonc-parser's package.json "module" field points at an ESM build that esbuild handles;
  // prefer it over the UMD build, whose dynamic requires esbuild cannot follow.
  mainFields: ['module', 'main'],
  // The version the CLI reports (--version, SARIF's tool.driver.version).
  define: { MANIFEST_LENS_VERSION: JSON.stringify(version) },
};

// Lean loading for the CLI's cold start (issue 13). dist/cli.js (cliStart.ts: the compile cache)
// loads dist/cli-main.js (cli.ts: the dispatcher), which loads what the command needs:
//  - dist/cli-lint.js: the engine, lint.ts, the lint command and `inspect oci:DIR` (inspectLayout.ts),
//    one copy shared by `lint` and by the registry commands' --lint, which load it only then;
//  - dist/cli-inspect.js, cli-digest.js, cli-tree.js, cli-diff.js, cli-fix.js, cli-push.js, cli-verify.js, cli-rules.js, cli-audit.js: each command's own code (cli.ts's
//    `await import('./cli/…Command')`), so that `lint` never loads undici.
const CLI_CHUNKS = { './cli/inspectCommand': './cli-inspect.js', './cli/digestCommand': './cli-digest.js', './cli/treeCommand': './cli-tree.js', './cli/diffCommand': './cli-diff.js', './cli/rulesCommand': './cli-rules.js', './cli/fixCommand': './cli-fix.js', './cli/pushCommand': './cli-push.js', './cli/verifyCommand': './cli-verify.js', './cli/auditCommand': './cli-audit.js', './cli/lintCommand': './cli-lint.js' };
const CLI_LINT_ENTRY = { contents: "export * from './lint';\nexport * from './lintCommand';\nexport * from './inspectLayout';\n", resolveDir: 'server/src/cli', sourcefile: 'cli-lint.ts', loader: 'ts' };
const splitCli = {
  name: 'split-cli',
  setup(build) {
    build.onResolve({ filter: /^\.\/cli\/(inspect|digest|tree|diff|rules|lint|fix|push|verify|audit)Command$/ }, (args) =>
      /server[\\/]src[\\/]cli\.ts$/.test(args.importer) ? { path: CLI_CHUNKS[args.path], external: true } : undefined);
    build.onResolve({ filter: /^\.\/(lint|inspectLayout)$/ }, (args) =>
      /server[\\/]src[\\/]cli[\\/](inspect|digest)Command\.ts$/.test(args.importer) ? { path: './cli-lint.js', external: true } : undefined);
  },
};
// `undici` in the bundles is scripts/undici-lean.cjs: request, Agent and ProxyAgent without fetch,
// WebSocket, caches and mocks, about half of undici's bytes; and node:http2, which undici loads
// at start for a protocol we never ask for, is scripts/http2-lazy.cjs, loaded on first use; the
// node:assert of undici's invariants is scripts/assert-lazy.cjs, which loads it only when one fails.
const leanUndici = {
  name: 'lean-undici',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, () => ({ path: new URL('./undici-lean.cjs', import.meta.url).pathname }));
    build.onResolve({ filter: /^(node:)?http2$/ }, (args) =>
      /node_modules[\\/]undici[\\/]/.test(args.importer) ? { path: new URL('./http2-lazy.cjs', import.meta.url).pathname } : undefined);
    build.onResolve({ filter: /^(node:)?assert$/ }, (args) =>
      /node_modules[\\/]undici[\\/]/.test(args.importer) ? { path: new URL('./assert-lazy.cjs', import.meta.url).pathname } : undefined);
  },
};

// jsonc-parser declares no "sideEffects", so esbuild keeps every top-level statement of the modules
// it bundles, including string-intern.js's tables of indentation strings (1,200 strings built at
// load, about a third of the engine's start-up allocation) that only its formatter reads, which
// the CLI never calls. Its modules have no other side effect: marking them so lets esbuild drop
// what nothing uses (issue 13).
const jsoncSideEffectFree = {
  name: 'jsonc-side-effect-free',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'jsonc-side-effect-free') return undefined;
      if (args.path !== 'jsonc-parser' && !/node_modules[\\/]jsonc-parser[\\/]/.test(args.importer)) return undefined;
      const r = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'jsonc-side-effect-free' });
      return r.errors.length ? undefined : { path: r.path, external: r.external, sideEffects: false };
    });
  },
};

const bench = process.argv.includes('--bench')
  ? [
      esbuild.build({ ...common, entryPoints: ['bench/bench.ts'], outfile: 'dist/bench.js', minify: false }),
      // The CLI section's floor: one request with the CLI's own undici and nothing else.
      esbuild.build({ ...common, entryPoints: ['bench/undiciFloor.ts'], outfile: 'dist/bench-undici-floor.js', plugins: [leanUndici] }),
      // The audit section's floor: the audit's requests with undici alone.
      esbuild.build({ ...common, entryPoints: ['bench/auditFloor.ts'], outfile: 'dist/bench-audit-floor.js', plugins: [leanUndici] }),
    ]
  : [];

await Promise.all([
  ...bench,
  esbuild.build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  // The Image Map webview's script (issue 22): runs in the webview, not in Node.
  esbuild.build({ ...common, platform: 'browser', target: 'es2020', format: 'iife', entryPoints: ['client/src/webview/imageMap.ts'], outfile: 'dist/imageMap.js' }),
  esbuild.build({ ...common, entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js', plugins: [leanUndici] }),
  // The language server's layout walk, in a worker thread (server/src/lsp/layoutWalker.ts).
  esbuild.build({ ...common, stdin: { contents: "import { runWalkerThread } from './layoutWalker';\nrunWalkerThread();\n", resolveDir: 'server/src/lsp', sourcefile: 'layout-walker.ts', loader: 'ts' }, outfile: 'dist/layout-walker.js', plugins: [jsoncSideEffectFree] }),
  esbuild.build({ ...common, entryPoints: ['server/src/cliStart.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [splitCli] }),
  // require() rather than import() for the command bundles: no ESM loader at start.
  esbuild.build({ ...common, entryPoints: ['server/src/cli.ts'], outfile: 'dist/cli-main.js', plugins: [splitCli], supported: { 'dynamic-import': false } }),
  esbuild.build({ ...common, stdin: CLI_LINT_ENTRY, outfile: 'dist/cli-lint.js', plugins: [jsoncSideEffectFree] }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli/inspectCommand.ts'], outfile: 'dist/cli-inspect.js', plugins: [leanUndici, splitCli], supported: { 'dynamic-import': false } }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli/digestCommand.ts'], outfile: 'dist/cli-digest.js', plugins: [leanUndici, splitCli], supported: { 'dynamic-import': false } }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli/treeCommand.ts'], outfile: 'dist/cli-tree.js', plugins: [leanUndici, splitCli, jsoncSideEffectFree], supported: { 'dynamic-import': false } }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli/diffCommand.ts'], outfile: 'dist/cli-diff.js', plugins: [leanUndici, splitCli, jsoncSideEffectFree], supported: { 'dynamic-import': false } }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli/fixCommand.ts'], outfile: 'dist/cli-fix.js', plugins: [leanUndici, splitCli, jsoncSideEffectFree], supported: { 'dynamic-import': false } }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli/pushCommand.ts'], outfile: 'dist/cli-push.js', plugins: [leanUndici, splitCli, jsoncSideEffectFree], supported: { 'dynamic-import': false } }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli/verifyCommand.ts'], outfile: 'dist/cli-verify.js', plugins: [leanUndici, splitCli, jsoncSideEffectFree], supported: { 'dynamic-import': false } }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli/rulesCommand.ts'], outfile: 'dist/cli-rules.js', plugins: [jsoncSideEffectFree] }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli/auditCommand.ts'], outfile: 'dist/cli-audit.js', plugins: [leanUndici, splitCli, jsoncSideEffectFree], supported: { 'dynamic-import': false } }),
]);
