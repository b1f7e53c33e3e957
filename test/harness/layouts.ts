/**
 * OCI image layouts written by the real tool: `skopeo copy docker://127.0.0.1:PORT/… oci:DIR:tag`
 * from the seeded docker-registry (and `--all` for an index), plus helpers that copy a layout
 * and inject one fault into the copy (a deleted blob, changed bytes, a truncated layer).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram, type IsolatedEnv } from './cli';
import type { SeededImages } from './seed';
import { findExecutable, skopeoBinary } from './tools';

export interface SkopeoLayouts {
  /** Parent folder of every layout below (removed by cleanup). */
  readonly dir: string;
  /** clean-oci:amd64 — one OCI manifest, its config and its layer; tag `t1`. */
  readonly single: string;
  /** clean-oci:latest copied with --all — index.json → image index → two manifests; tag `t1`. */
  readonly multi: string;
  /** docker-v2s2:latest — a Docker image, converted to OCI by skopeo; tag `t1`. */
  readonly converted: string;
  cleanup(): void;
}

/** Runs `skopeo copy` into `oci:DIR:TAG`; throws with skopeo's stderr when it fails. */
export async function skopeoCopyToLayout(env: IsolatedEnv, reference: string, dir: string, tag: string, all = false): Promise<void> {
  const skopeo = skopeoBinary();
  if (!skopeo) throw new Error('skopeo is not installed');
  const r = await runProgram(skopeo, ['copy', '--quiet', '--src-tls-verify=false', '--src-no-creds', ...(all ? ['--all'] : []), `docker://${reference}`, `oci:${dir}:${tag}`], { env: env.env, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`skopeo copy ${reference} → oci:${dir}:${tag} failed (${r.code}): ${r.stderr}`);
}

/** buildah, when installed. */
export function buildahBinary(): string | undefined {
  return findExecutable(['/usr/bin/buildah', 'buildah']);
}

/**
 * `buildah pull` then `buildah push IMAGE oci:DIR:TAG`, with its own storage (vfs driver) under
 * `store`, so nothing of the machine's container storage is touched.
 */
export async function buildahPushToLayout(env: IsolatedEnv, reference: string, dir: string, tag: string, store: string): Promise<void> {
  const buildah = buildahBinary();
  if (!buildah) throw new Error('buildah is not installed');
  const storage = ['--root', join(store, 'root'), '--runroot', join(store, 'run'), '--storage-driver', 'vfs'];
  // buildah refuses a REGISTRY_AUTH_FILE or DOCKER_CONFIG that does not exist; the isolated HOME
  // has no credentials anyway.
  const { REGISTRY_AUTH_FILE: _auth, DOCKER_CONFIG: _docker, ...environment } = env.env;
  for (const args of [['pull', '--quiet', '--tls-verify=false', `docker://${reference}`], ['push', '--quiet', '--tls-verify=false', reference, `oci:${dir}:${tag}`]]) {
    const r = await runProgram(buildah, [...storage, ...args], { env: environment, timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`buildah ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  }
}

/** Writes the three layouts from a seeded registry. */
export async function writeSkopeoLayouts(env: IsolatedEnv, seeds: SeededImages): Promise<SkopeoLayouts> {
  const dir = mkdtempSync(join(tmpdir(), 'manifest-lens-layouts-'));
  const single = join(dir, 'single');
  const multi = join(dir, 'multi');
  const converted = join(dir, 'converted');
  await skopeoCopyToLayout(env, seeds.cleanOci.amd64Tag.reference, single, 't1');
  await skopeoCopyToLayout(env, seeds.cleanOci.index.reference, multi, 't1', true);
  await skopeoCopyToLayout(env, seeds.dockerV2s2.manifest.reference, converted, 't1');
  return { dir, single, multi, converted, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of a layout under a new name next to it, to break. */
export function copyLayout(from: string, name: string): string {
  const to = join(from, '..', name);
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
  return to;
}

/** The path of a blob of a layout. */
export function blobFile(layout: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  return join(layout, 'blobs', alg, hex);
}

/** Fault: the blob is gone. */
export function deleteBlob(layout: string, digest: string): void {
  unlinkSync(blobFile(layout, digest));
}

/** Fault: the blob's bytes changed, its size did not (one byte flipped in the middle). */
export function changeBlob(layout: string, digest: string): void {
  const file = blobFile(layout, digest);
  const bytes = readFileSync(file);
  const i = bytes.length >> 1;
  bytes[i] = bytes[i] === 0x20 ? 0x09 : bytes[i] ^ 0x01;
  writeFileSync(file, bytes);
}

/** Fault: the blob lost its tail (an interrupted copy). */
export function truncateBlob(layout: string, digest: string, keep = 64): void {
  truncateSync(blobFile(layout, digest), keep);
}

/** The descriptors of a JSON blob (or index.json): parsed, for finding digests to break. */
export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
}

/** The manifest of a one-image layout (index.json → manifest): its digest, config and layers. */
export function imageOf(layout: string): { manifest: Descriptor; config: Descriptor; layers: Descriptor[] } {
  const index = readJson<{ manifests: Descriptor[] }>(join(layout, 'index.json'));
  const manifest = index.manifests[0];
  const m = readJson<{ config: Descriptor; layers: Descriptor[] }>(blobFile(layout, manifest.digest));
  return { manifest, config: m.config, layers: m.layers };
}
