// A seeded sample registry for demos: a real distribution registry (Debian's docker-registry)
// on 127.0.0.1 holding the test sample images (the podman#22196 mixed index, a clean OCI index,
// a Docker list with OCI children, a Docker v2s2 image, an SBOM referrer, an attested index,
// and samples/signed:latest: an index and its linux/amd64 child signed with a cosign key made at
// start (tag scheme), with BuildKit attestations for linux/amd64; with --write-refs its public key
// is written next to the references file, as sample-cosign.pub).
// No auth. It prints its address and the seeded references, and stays up until SIGINT/SIGTERM,
// then stops the registry and deletes its temp storage.
//
// Usage:
//   node scripts/sample-registry.mjs [--port PORT] [--write-refs FILE]
//   (also works as `node --import tsx scripts/sample-registry.mjs`; it registers tsx itself
//   to load the TypeScript harness in test/harness/.)
// Port: --port, else $SAMPLE_REGISTRY_PORT, else 5055. --write-refs FILE writes the seeded
// references (digests, media types, sizes) as JSON.
// Needs /usr/bin/docker-registry: `node scripts/ensure-deps.mjs` installs it (root/apt).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

// The harness is TypeScript compiled as CommonJS (the package has no "type": "module"):
// tsx's CommonJS hook lets require() load it.
register();
const require = createRequire(import.meta.url);

function fail(message) {
  process.stderr.write(`sample-registry: ${message}\n`);
  process.exit(2);
}

let port = process.env.SAMPLE_REGISTRY_PORT ? Number(process.env.SAMPLE_REGISTRY_PORT) : 5055;
let refsFile;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const [name, inline] = args[i].startsWith('--') && args[i].includes('=') ? args[i].split(/=(.*)/s) : [args[i], undefined];
  const value = () => inline ?? args[++i];
  if (name === '--port') port = Number(value());
  else if (name === '--write-refs') refsFile = value();
  else if (name === '--help' || name === '-h') {
    process.stdout.write('usage: node scripts/sample-registry.mjs [--port PORT] [--write-refs FILE]\n');
    process.exit(0);
  } else if (/^\d+$/.test(name)) port = Number(name);
  else fail(`unknown argument ${name}`);
}
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`invalid port ${port}`);
if (refsFile === '') fail('--write-refs needs a file name');

const { startRegistry } = require('../test/harness/registry.ts');
const { seedSamples, describeSeeds } = require('../test/harness/seed.ts');
const { registryBinary } = require('../test/harness/tools.ts');

if (!registryBinary()) fail('docker-registry is not installed: run node scripts/ensure-deps.mjs (needs root/apt)');

let registry;
try {
  registry = await startRegistry({ auth: 'none', port, logLevel: 'warn' });
} catch (err) {
  fail(`could not start the registry on 127.0.0.1:${port}: ${err.message}`);
}

let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  await registry.stop().catch(() => undefined);
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
registry.exited.then((how) => {
  if (stopping) return;
  process.stderr.write(`sample-registry: the registry exited unexpectedly (${how}):\n${registry.logs()}\n`);
  void shutdown(1);
});

let seeds;
try {
  seeds = await seedSamples(registry.url);
} catch (err) {
  process.stderr.write(`sample-registry: seeding failed: ${err.message}\n`);
  await shutdown(1);
}

// A signed and attested image (issue 20): `verify`/`tree --key`, and the editor's verdicts.
let signed;
try {
  const { makeKey, pushSignedMultiPlatform } = require('../test/supplychain/fixtures.ts');
  const key = makeKey('p256');
  const image = await pushSignedMultiPlatform(registry.url, registry.host, 'samples/signed', 'latest', key.privateKey);
  const publicKey = refsFile ? join(dirname(refsFile), 'sample-cosign.pub') : undefined;
  if (publicKey) writeFileSync(publicKey, key.publicPem);
  signed = { reference: `${registry.host}/samples/signed:latest`, index: image.index.digest, amd64: image.amd64.digest, ...(publicKey ? { publicKey } : {}) };
} catch (err) {
  process.stderr.write(`sample-registry: seeding the signed image failed: ${err.message}\n`);
  await shutdown(1);
}

const described = { ...describeSeeds(seeds), signed };
if (refsFile) writeFileSync(refsFile, JSON.stringify(described, null, 2) + '\n');

const lines = [`sample registry: ${registry.host}`];
for (const m of seeds.tagged) lines.push(`  ${m.reference}  ${m.mediaType}  ${m.digest}`);
lines.push(`  ${seeds.artifact.manifest.byDigest}  (SBOM artifact, subject ${seeds.artifact.subject.digest})`);
lines.push(`  ${signed.reference}  (signed with a cosign key${signed.publicKey ? ` ${signed.publicKey}` : ''}, attested)`);
lines.push(`  try: node dist/cli.js inspect --platform linux/amd64 --lint ${seeds.podman22196.index.reference}`);
if (refsFile) lines.push(`  references written to ${refsFile}`);
lines.push('  (Ctrl-C to stop)');
process.stdout.write(lines.join('\n') + '\n');
