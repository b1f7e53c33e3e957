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

const bench = process.argv.includes('--bench')
  ? [esbuild.build({ ...common, entryPoints: ['bench/bench.ts'], outfile: 'dist/bench.js', minify: false })]
  : [];

await Promise.all([
  ...bench,
  esbuild.build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  esbuild.build({ ...common, entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js' }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
]);
