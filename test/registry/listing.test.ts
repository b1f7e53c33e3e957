/**
 * Tags and catalog listings against a real docker-registry on 127.0.0.1, a page at a time
 * through the Link header, and the Link parsing itself (never to another host).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MANIFEST_ACCEPT_TYPES } from '../../server/src/engine/mediaTypes';
import { configuredRegistries, createRegistryClient, listRepositories, listTags, nextPageOf, parseReference } from '../../server/src/registry';
import { useSeededRegistry } from '../harness/seed';
import { startFakeRegistry } from './fakeRegistry';
import { skipUnlessTools } from '../harness/tools';

const skip = skipUnlessTools({ registry: true });

test('nextPageOf: rel="next" on this registry only', () => {
  assert.equal(nextPageOf('</v2/a/tags/list?last=x&n=2>; rel="next"', 'r:5000'), '/v2/a/tags/list?last=x&n=2');
  assert.equal(nextPageOf('<http://r:5000/v2/_catalog?last=b&n=1>; rel="next"', 'r:5000'), '/v2/_catalog?last=b&n=1');
  assert.equal(nextPageOf('<http://evil:80/v2/_catalog?last=b>; rel="next"', 'r:5000'), undefined, 'another host is not followed');
  assert.equal(nextPageOf('</elsewhere>; rel="next"', 'r:5000'), undefined, 'outside the API');
  assert.equal(nextPageOf('</v2/a/tags/list?last=x>; rel="prev"', 'r:5000'), undefined);
  assert.equal(nextPageOf(undefined, 'r:5000'), undefined);
});

test('configuredRegistries: the keys of the auth files, normalised, never their secrets', async () => {
  const home = mkdtempSync(join(tmpdir(), 'manifest-lens-listing-'));
  try {
    mkdirSync(join(home, '.docker'));
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: 'c2VjcmV0OnNlY3JldA==' }, 'ghcr.io': {} }, credHelpers: { 'quay.io': 'secretservice' } }));
    mkdirSync(join(home, '.config', 'containers'), { recursive: true });
    writeFileSync(join(home, '.config', 'containers', 'auth.json'), JSON.stringify({ auths: { 'ghcr.io': {}, 'registry.local:5000': {} } }));
    const list = await configuredRegistries({ env: {}, homeDir: home });
    assert.deepEqual(list.map((r) => r.registry), ['docker.io', 'ghcr.io', 'quay.io', 'registry.local:5000']);
    assert.equal(list[0].source, '~/.docker/config.json');
    assert.doesNotMatch(JSON.stringify(list), /c2Vj|secret/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

if (skip) {
  test('listings against a real registry', { skip }, () => {});
} else {
  const ctx = useSeededRegistry();
  test('the tags of a repository, and the catalog a page at a time through Link', async () => {
    const client = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES });
    try {
      const ref = parseReference(`${ctx.seeds.host}/samples/clean-oci`);
      const expected = ctx.seeds.tagged.filter((m) => m.repository === 'samples/clean-oci').map((m) => m.tag!).sort();
      const all = await listTags(client, ref);
      assert.deepEqual([...all.names].sort(), expected);
      assert.equal(all.next, undefined);

      // distribution 2.8 pages the catalog (not the tags): walk it two at a time.
      const seen: string[] = [];
      let page: string | undefined;
      let pages = 0;
      do {
        const p = await listRepositories(client, parseReference(`${ctx.seeds.host}/catalog`), { page, pageSize: 2 });
        assert.ok(p.names.length <= 2, p.names.join());
        seen.push(...p.names);
        page = p.next;
        pages++;
      } while (page && pages < 20);
      const repositories = [...new Set(ctx.seeds.tagged.map((m) => m.repository))].sort();
      assert.deepEqual([...new Set(seen)].sort(), repositories);
      assert.ok(pages >= Math.ceil(repositories.length / 2), `${pages} pages`);
    } finally {
      await client.close();
    }
  });
}

test('tags a page at a time through Link (a registry that pages them)', async () => {
  const all = ['a', 'b', 'c', 'd', 'e'];
  const reg = await startFakeRegistry({
    intercept: (_req, res, rec) => {
      if (rec.path !== '/v2/x/y/tags/list') return false;
      const n = Number(rec.query.get('n') ?? 100);
      const last = rec.query.get('last');
      const from = last ? all.indexOf(last) + 1 : 0;
      const names = all.slice(from, from + n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (from + n < all.length) headers.link = `</v2/x/y/tags/list?last=${names[names.length - 1]}&n=${n}>; rel="next"`;
      res.writeHead(200, headers);
      res.end(JSON.stringify({ name: 'x/y', tags: names }));
      return true;
    },
  });
  const client = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES });
  try {
    const ref = parseReference(`${reg.hostPort}/x/y`);
    const seen: string[] = [];
    let page: string | undefined;
    let pages = 0;
    do {
      const p = await listTags(client, ref, { page, pageSize: 2 });
      seen.push(...p.names);
      page = p.next;
      pages++;
    } while (page && pages < 10);
    assert.deepEqual(seen, all);
    assert.equal(pages, 3);
  } finally {
    await client.close();
    await reg.close();
  }
});
