/**
 * End to end, in a real VS Code (code-server + Chromium): the registry explorer shows the verdict
 * of a signed image's signature. The sample registry's samples/signed:latest is signed with a
 * cosign key made at its start (its public key written next to its references file);
 * manifestLens.trust.keys names it in the user settings. The tag's "signatures and attestations"
 * row lists the cosign signature as "signature valid, no transparency-log proof", and a click
 * opens its decoded payload, read-only.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { plain, sampleRegistry, waitFor, withFailureShot, Workbench, type SampleRegistry } from './workbench';

interface Refs { host: string; signed: { reference: string; index: string; amd64: string; publicKey: string } }

let registry: SampleRegistry;
let refs: Refs;
/** The user settings; the key's path is known once the sample registry wrote it (before start). */
const settings: Record<string, unknown> = {};
const wb = new Workbench({ name: 'supplychain', settings });

const VIEW = '[id="workbench.view.extension.manifestLens"] .monaco-list-row';

async function rows(): Promise<string[]> {
  return (await wb.page.locator(VIEW).allInnerTexts()).map(plain);
}

/** Clicks the row whose label is `label` (the `nth` of them), expanding it or opening what it stands for. */
async function click(label: string, nth = 0): Promise<void> {
  const row = wb.page.locator(VIEW).filter({ has: wb.page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) }) }).nth(nth);
  await waitFor(`the "${label}" row`, () => row.isVisible(), { timeoutMs: 45_000 });
  await row.click();
}

describe('Manifest Lens in VS Code (code-server): signatures in the explorer', { timeout: 300_000 }, () => {
  before(async () => {
    registry = await sampleRegistry(wb.root);
    refs = registry.refs as Refs;
    assert.ok(refs.signed?.publicKey, 'the sample registry wrote the signed image\'s public key');
    settings['manifestLens.trust.keys'] = [refs.signed.publicKey];
    const docker = join(wb.root, 'docker');
    mkdirSync(docker, { recursive: true });
    writeFileSync(join(docker, 'config.json'), JSON.stringify({ auths: { [refs.host]: {} } }));
    wb.env.DOCKER_CONFIG = docker;
    await wb.start();
  }, { timeout: 180_000 });
  after(async () => {
    await wb.stop();
    await registry?.stop();
  });

  it('(y) explorer: the signature of a signed image shows its verdict against manifestLens.trust.keys, and opens decoded', withFailureShot(wb, 'y', async () => {
    await wb.runCommand('View: Show Manifest Lens');
    await click(refs.host);
    await click('samples/signed');
    await click('latest');
    await waitFor('the platforms of the tag', async () => (await rows()).some((r) => r.startsWith('linux/amd64')), { timeoutMs: 60_000 });
    // The index's own signatures: the row after its platforms and referrers.
    await click('signatures and attestations');
    const signature = await waitFor('the cosign signature row with its verdict', async () => (await rows()).find((r) => r.startsWith('cosign signature')), { timeoutMs: 60_000 });
    assert.match(signature, /^cosign signature\s*signature valid, no transparency-log proof$/);
    const row = wb.page.locator(VIEW, { hasText: 'cosign signature' }).first();
    assert.ok(await row.locator('.codicon-verified').count(), 'the verified icon');
    assert.ok(!(await rows()).some((r) => /no trust configured/.test(r)), (await rows()).join('\n'));
    await wb.shot('y-explorer-signature-verdict');
    // A click opens the decoded simple-signing payload, naming the index's digest.
    await row.click();
    await wb.activeTab('payload, layer 0', 30_000);
    const text = await waitFor('the decoded payload', async () => {
      const t = await wb.editorText();
      return t.includes('docker-manifest-digest') ? t : undefined;
    }, { timeoutMs: 30_000 });
    assert.ok(text.includes(refs.signed.index), text);
    await wb.shot('y-signature-payload');
  }));
});
