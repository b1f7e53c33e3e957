/**
 * `manifest-lens tree` on a signed and attested multi-platform image in a real docker-registry
 * 2.8 (no Referrers API): each signature and attestation under the node it belongs to (the
 * index's signature under the index, linux/amd64's signature and its BuildKit attestations under
 * linux/amd64), with its verdict: "not verified: no trust configured" without trust, "signature
 * valid, no transparency-log proof" with --key, "invalid" with another key.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertCliBuilt, isolatedEnv, runCli, type IsolatedEnv } from '../harness/cli';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { makeKey, pushSignedMultiPlatform, type SignedMultiPlatform } from './fixtures';

const REPO = 'sc/tree';

describe('tree: signatures and attestations on the node they belong to, with verdicts', () => {
  let registry: RunningRegistry;
  let home: IsolatedEnv;
  let image: SignedMultiPlatform;
  let keyFile = '';
  let otherKeyFile = '';

  before(async () => {
    assertCliBuilt();
    home = isolatedEnv();
    registry = await startRegistry({ auth: 'none' });
    const key = makeKey('p256');
    keyFile = join(home.dir, 'cosign.pub');
    writeFileSync(keyFile, key.publicPem);
    otherKeyFile = join(home.dir, 'other.pub');
    writeFileSync(otherKeyFile, makeKey('p256').publicPem);
    image = await pushSignedMultiPlatform(registry.url, registry.host, REPO, 'signed', key.privateKey);
  });
  after(async () => {
    await registry?.stop();
    home?.cleanup();
  });

  const tree = (...args: string[]) => runCli(['tree', '--format', 'json', ...args, `${registry.host}/${REPO}:signed`], { env: home.env });
  type Node = { digest: string; label: string; children: Node[]; supplyChain?: { trust: string; items: { kind: string; label: string; predicateType?: string; summary?: string; verdict?: { kind: string; text: string; by?: string } }[] } };
  const child = (root: Node, label: string): Node => root.children.find((c) => c.label === label)!;

  it('without trust: each signature "not verified: no trust configured", the attestations under linux/amd64 with their summaries', async () => {
    const r = await tree();
    assert.equal(r.code, 0, r.stderr.toString());
    const root = JSON.parse(r.stdout.toString()).root as Node;
    assert.deepEqual(root.supplyChain?.items.map((i) => [i.kind, i.verdict?.text]), [['cosign-signature', 'not verified: no trust configured']]);
    assert.equal(root.supplyChain?.trust, 'no trust configured');
    const amd64 = child(root, 'linux/amd64');
    assert.equal(amd64.digest, image.amd64.digest);
    const items = amd64.supplyChain!.items;
    assert.deepEqual(items.map((i) => i.kind), ['cosign-signature', 'buildx-attestation-manifest', 'buildx-attestation-manifest']);
    assert.equal(items[0].verdict?.kind, 'not-verified');
    assert.equal(items[1].predicateType, 'https://slsa.dev/provenance/v0.2');
    assert.match(items[1].summary ?? '', /^SLSA provenance: builder https:\/\/github\.com\/docker\/buildx@v0\.12\.0/);
    assert.equal(items[1].verdict, undefined, 'a bare statement has no signature of its own');
    assert.match(items[2].summary ?? '', /^SPDX: \d+ packages?/);
    assert.deepEqual(child(root, 'linux/arm64').supplyChain?.items, []);
  });

  it('with --key: "signature valid, no transparency-log proof" on the index and linux/amd64 (text)', async () => {
    const r = await runCli(['tree', '--color', 'never', '--key', keyFile, `${registry.host}/${REPO}:signed`], { env: home.env });
    assert.equal(r.code, 0, r.stderr.toString());
    const out = r.stdout.toString();
    const verdicts = out.match(/verdict: signature valid, no transparency-log proof \(by key .*cosign\.pub SHA256:[0-9a-f]{64}\)/g) ?? [];
    assert.equal(verdicts.length, 2, out);
    assert.doesNotMatch(out, /no trust configured/);
    // linux/amd64's block holds its signature and both statements, before linux/arm64's node.
    const amd64 = out.slice(out.indexOf('linux/amd64'), out.indexOf('linux/arm64'));
    assert.match(amd64, /signatures and attestations: 3 \(1 signature; trust: key .*cosign\.pub\)/);
    assert.match(amd64, /buildx attestation manifest {2}attestation manifest sha256:[0-9a-f]{64} layer 0\n.*verdict: no signature of its own\n.*predicate: https:\/\/slsa\.dev\/provenance\/v0\.2 — SLSA provenance: builder/);
    assert.match(amd64, /predicate: https:\/\/spdx\.dev\/Document — SPDX: /);
  });

  it('with another key: invalid; --certificate-identity without --trusted-root is a usage error', async () => {
    const r = await tree('--key', otherKeyFile);
    const root = JSON.parse(r.stdout.toString()).root as Node;
    assert.equal(root.supplyChain?.items[0].verdict?.kind, 'invalid');
    const u = await runCli(['tree', '--certificate-identity', 'a@b', `${registry.host}/${REPO}:signed`], { env: home.env });
    assert.equal(u.code, 2);
    assert.match(u.stderr.toString(), /go together, with --trusted-root/);
  });
});
