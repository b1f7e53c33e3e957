/**
 * dist/bench-undici-floor.js: what the HTTP client this project uses costs to start, for the CLI
 * section of the bench (issue 13). One GET of a manifest by digest with undici, the body hashed
 * with SHA-256 and compared with the digest, one line printed: the least `inspect` does, with no
 * Manifest Lens code. Bundled with the same undici as the CLI (scripts/build.mjs's lean-undici) and
 * run under the same V8 flag, so the difference between the two rows is the CLI's own cost.
 *
 * Usage: node dist/bench-undici-floor.js HOST/REPO@sha256:…   (plain HTTP: a loopback registry)
 */
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { Agent, request } from 'undici';

async function main(): Promise<void> {
  setFlagsFromString('--liftoff-only'); // as cliStart.ts does for inspect, before undici compiles its WebAssembly parser
  const m = /^([^/]+)\/(.+)@(sha256:[0-9a-f]{64})$/.exec(process.argv[2] ?? '');
  if (!m) throw new Error('usage: bench-undici-floor HOST/REPO@sha256:…');
  const agent = new Agent();
  try {
    const res = await request(`http://${m[1]}/v2/${m[2]}/manifests/${m[3]}`, {
      dispatcher: agent,
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (digest !== m[3]) throw new Error(`digest mismatch: ${digest}`);
    process.stdout.write(`${m[0]}: ${digest} ${body.length} bytes, verified\n`);
  } finally {
    await agent.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
