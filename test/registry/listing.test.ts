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
import { MAX_PAGE_NAMES, nextAdvances } from '../../server/src/registry/listing';
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

test('a tag list the registry does not have: the message names the repository once, and the registry once', async () => {
  const reg = await startFakeRegistry({
    intercept: (_req, res, rec) => {
      if (rec.path !== '/v2/team/typo/tags/list') return false;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
      return true;
    },
  });
  const client = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES });
  try {
    const e = await listTags(client, parseReference(`${reg.hostPort}/team/typo`)).then(() => undefined, (err: Error) => err);
    assert.ok(e, 'a 404 is an error');
    assert.match(e.message, /^127\.0\.0\.1:\d+ has no tag list of team\/typo: it answered 404 Not Found \(NAME_UNKNOWN/);
    assert.equal(e.message.split(reg.hostPort).length - 1, 1, e.message);
  } finally {
    await client.close();
    await reg.close();
  }
});

test('nextAdvances: a Link back to this page, the first one, or an earlier `last` does not move on (issue 23)', () => {
  const first = '/v2/a/tags/list?n=2';
  assert.equal(nextAdvances('/v2/a/tags/list?n=2&last=b', undefined, first), true);
  assert.equal(nextAdvances('/v2/a/tags/list?n=2', undefined, first), false, 'the first page names itself');
  assert.equal(nextAdvances('/v2/a/tags/list?last=b&n=2', '/v2/a/tags/list?n=2&last=b', first), false, 'the same page, parameters in another order');
  assert.equal(nextAdvances('/v2/a/tags/list?n=2', '/v2/a/tags/list?n=2&last=b', first), false, 'back to the first page');
  assert.equal(nextAdvances('/v2/a/tags/list', '/v2/a/tags/list?n=2&last=b', first), false, 'back to a first page written otherwise');
  assert.equal(nextAdvances('/v2/a/tags/list?n=2&last=a', '/v2/a/tags/list?n=2&last=b', first), false, 'back to an earlier page');
  assert.equal(nextAdvances('/v2/a/tags/list?n=2&last=d', '/v2/a/tags/list?n=2&last=b', first), true);
  assert.equal(nextAdvances('/v2/a/tags/list?n=2&last=C', '/v2/a/tags/list?n=2&last=b', first), true, 'a registry that sorts without case');
  assert.equal(nextAdvances('/v2/a/tags/list?cursor=xyz', '/v2/a/tags/list?cursor=abc', first), true, 'an opaque cursor that changes');
});

test('a registry whose Link names the page just read: the listing stops there instead of "Load more" for ever (issue 23)', async () => {
  const reg = await startFakeRegistry({
    intercept: (_req, res, rec) => {
      if (rec.path !== '/v2/x/y/tags/list' && rec.path !== '/v2/_catalog') return false;
      const key = rec.path === '/v2/_catalog' ? 'repositories' : 'tags';
      // The same page again, and again, whatever was asked for.
      res.writeHead(200, { 'content-type': 'application/json', link: `<${rec.url}>; rel="next"` });
      res.end(JSON.stringify({ [key]: key === 'tags' ? ['a', 'b'] : ['x/y'] }));
      return true;
    },
  });
  const client = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES });
  try {
    const ref = parseReference(`${reg.hostPort}/x/y`);
    const p1 = await listTags(client, ref, { pageSize: 2 });
    assert.deepEqual(p1.names, ['a', 'b']);
    assert.equal(p1.next, undefined, 'the first page pointing at itself has no next');
    assert.match(p1.note ?? '', /named a page already read as the next page of the tag list of x\/y; the listing stops here/);
    const again = await listTags(client, ref, { page: '/v2/x/y/tags/list?n=2&last=b' });
    assert.equal(again.next, undefined, 'a later page pointing at itself has no next');
    const catalog = await listRepositories(client, parseReference(`${reg.hostPort}/catalog`));
    assert.equal(catalog.next, undefined);
    assert.equal(reg.requests.length, 3, 'one request per page asked for, nothing followed');
  } finally {
    await client.close();
    await reg.close();
  }
});

test('a tags page of 30,000 names when 100 were asked keeps the first MAX_PAGE_NAMES valid ones and says so; more than MAX_PAGE_BYTES is refused (issue 23: 524,275 were accepted whole)', async () => {
  const many = Array.from({ length: 30_000 }, (_, i) => i.toString(36));
  const body = JSON.stringify({ name: 'x/y', tags: ['bad\u001b]52;c;AAAA\u0007', 'x'.repeat(129), 7, ...many] });
  const reg = await startFakeRegistry({
    intercept: (_req, res, rec) => {
      if (rec.path === '/v2/x/y/tags/list') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
        return true;
      }
      if (rec.path === '/v2/x/big/tags/list') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"tags":["${'y'.repeat(4 * 1024 * 1024)}"]}`);
        return true;
      }
      return false;
    },
  });
  const client = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES });
  try {
    const p = await listTags(client, parseReference(`${reg.hostPort}/x/y`));
    assert.equal(p.names.length, MAX_PAGE_NAMES);
    assert.equal(p.names[0], '0', 'names that are not tags are left out');
    assert.equal(p.omitted, 30_000 + 3 - MAX_PAGE_NAMES);
    assert.match(p.note ?? '', /answered the tag list of x\/y with 30003 names; 20003 are not shown \(not a tag, or past the first 10000 of a page\)\./);
    assert.ok(!p.names.some((n) => /[^\w.-]/.test(n)), 'no control character in a kept name');
    // More than MAX_PAGE_BYTES: refused before it is read whole.
    const e = await listTags(client, parseReference(`${reg.hostPort}/x/big`)).then(() => undefined, (err: unknown) => err as { kind?: string });
    assert.equal(e?.kind, 'too-large');
  } finally {
    await client.close();
    await reg.close();
  }
});
