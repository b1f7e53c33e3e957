/**
 * The real-tools suite: Debian's buildah, podman and skopeo build images offline (from scratch,
 * nothing is run), push them to a real docker-registry on 127.0.0.1 and write OCI layouts, as a
 * new user would. Then `lint`, `inspect --lint` and `digest` run on every manifest, index, config
 * and layout index.json the tools made. The rule (docs/rules.md, "Severities"): what the tools
 * make and accept gets no warning and no error.
 *
 * It also proves the messages that quote these tools: the hand-made mixed image (an OCI manifest
 * with a Docker config media type) is pulled with podman and inspected with skopeo, and the text
 * mixed-config-media-type quotes for that podman version must be in podman's stderr; a nested
 * index is pulled from the registry (podman fails, as index-nested-index says) and from an OCI
 * layout (podman and skopeo follow it, so the rule must stay quiet there).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RULES_BY_ID } from '../../server/src/engine/ruleTable';
import { sha256Digest } from '../harness/blobs';
import { assertCliBuilt, runCli } from '../harness/cli';
import { headerValue, httpCall } from '../harness/http';
import { buildImage, realToolBinaries, skipUnlessRealTools, toolBox, type ToolBox } from '../harness/realTools';
import { startRegistry, type RunningRegistry } from '../harness/registry';

const skip = skipUnlessRealTools();

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';

/** A reference a tool pushed, and the command that made it (for messages). */
interface Pushed {
  readonly ref: string;
  readonly by: string;
  /** How many documents `inspect --lint` must check: 1, or 1 + children for an index. */
  readonly documents: number;
}

interface JsonFinding { ruleId: string; severity: string; message: string }
interface JsonFile { file: string; kind: string; findings: JsonFinding[] }

/** The findings at warning or error level, one line each. */
function loud(files: readonly JsonFile[]): string[] {
  return files.flatMap((f) => f.findings
    .filter((x) => x.severity === 'error' || x.severity === 'warning')
    .map((x) => `${f.file}: ${x.severity} ${x.ruleId}: ${x.message}`));
}

/** Runs `work` on every item, a few at a time (each item spawns short-lived processes). */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/** A rule's why (the hover and docs/rules.md), where the tools' quoted errors are. */
function whyOf(ruleId: string): string {
  return RULES_BY_ID.get(ruleId)!.why;
}

/** The podman/buildah/skopeo version line's number, e.g. "4.3.1". */
function versionOf(output: string): string {
  const m = /version (\d+\.\d+\.\d+)/.exec(output);
  assert.ok(m, `a version in ${JSON.stringify(output)}`);
  return m[1];
}

/**
 * The tool output a message quotes (between backticks) for this podman version. The message
 * names the versions each quote was seen with: for podman 4.3 (containers/image 5.23, Debian 12)
 * the quote after "podman 4.3"; for another version, the quote it prints must be one of those
 * the message gives (the caller checks stderr), so a new podman cannot pass on a stale quote.
 */
function quotesFor(message: string, podmanVersion: string): string[] {
  const all = [...message.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  assert.ok(all.length > 0, `the message quotes tool output in backticks: ${message}`);
  if (podmanVersion.startsWith('4.3.')) {
    const m = /podman 4\.3[^`]*`([^`]+)`/.exec(message);
    assert.ok(m, `the message quotes podman 4.3: ${message}`);
    return [m[1]];
  }
  process.stderr.write(`real-tools: podman ${podmanVersion}: the quote must be one of ${JSON.stringify(all)}\n`);
  return all;
}

if (skip) {
  test('real tools: buildah, podman and skopeo output lints clean', { skip }, () => {});
} else {
  describe('real tools: buildah, podman and skopeo', { timeout: 480_000 }, () => {
    const tools = realToolBinaries()!;
    let registry: RunningRegistry;
    let box: ToolBox;
    const pushed: Pushed[] = [];
    const layouts: string[] = [];
    const nonce = randomBytes(8).toString('hex');
    let R = '';
    const tls = ['--tls-verify=false'];
    /** Layout with the OCI index of two platforms under the tag `list`, written by skopeo --all. */
    let listLayout = '';

    const manifestOf = async (repo: string, ref: string) => {
      const r = await httpCall(`${registry.url}/v2/${repo}/manifests/${ref}`, { headers: { Accept: ACCEPT } });
      assert.equal(r.status, 200, `GET ${repo}:${ref}`);
      return { bytes: r.body, json: JSON.parse(r.body.toString('utf8')), digest: headerValue(r, 'docker-content-digest')! };
    };
    const putManifest = async (repo: string, tag: string, doc: unknown): Promise<string> => {
      const body = Buffer.from(JSON.stringify(doc));
      const r = await httpCall(`${registry.url}/v2/${repo}/manifests/${tag}`, {
        method: 'PUT', body, headers: { 'Content-Type': (doc as { mediaType: string }).mediaType },
      });
      assert.equal(r.status, 201, `PUT ${repo}:${tag}: ${r.body.toString('utf8')}`);
      return sha256Digest(body);
    };

    before(async () => {
      assertCliBuilt();
      registry = await startRegistry();
      R = registry.host;
      box = toolBox(tools, R);
      const b = (args: string[]) => box.buildah(args);
      const p = (args: string[]) => box.podman(args);
      const s = (args: string[]) => box.skopeo(args);
      const push = async (by: string, ref: string, documents: number, run: () => Promise<unknown>) => {
        await run();
        pushed.push({ ref, by, documents });
      };

      // Build from scratch (one file, a config), in both formats and for two platforms.
      const images = [
        { name: 'oci-amd64', format: 'oci', arch: 'amd64' },
        { name: 'oci-arm64', format: 'oci', arch: 'arm64', variant: 'v8' },
        { name: 'oci-zstd', format: 'oci', arch: 'amd64' },
        { name: 'oci-plain', format: 'oci', arch: 'amd64' },
        { name: 'docker-amd64', format: 'docker', arch: 'amd64' },
        { name: 'docker-arm64', format: 'docker', arch: 'arm64', variant: 'v8' },
      ] as const;
      for (const i of images) await buildImage(box, { ...i, content: `hello from ${i.name}` }, nonce);
      // Every config option people set, in both formats (buildah drops what OCI cannot hold).
      const everything = [
        '--port', '8080', '--port', '53/udp', '--volume', '/data', '--workingdir', '/srv', '--user', '1000:1000',
        '--entrypoint', '["/hello.txt"]', '--author', 'manifest-lens', '--created-by', 'realtools', '--comment', 'a comment',
        '--history-comment', 'a history comment', '--stop-signal', 'SIGTERM', '--healthcheck', 'CMD /hello.txt',
        '--shell', '["/bin/sh","-c"]', '--domainname', 'example.com', '--hostname', 'box',
        '--annotation', 'org.opencontainers.image.source=https://example.com/src',
        '--annotation', 'org.opencontainers.image.created=2024-01-01T00:00:00Z',
      ];
      for (const format of ['oci', 'docker'] as const) {
        await buildImage(box, { name: `everything-${format}`, format, arch: 'riscv64', content: `everything ${format}`, config: everything, commit: ['--timestamp', '0'] }, nonce);
        await push(`buildah config (every option) + commit --format ${format} --timestamp 0`, `${R}/buildah/everything:${format}`, 1, () => b(['push', ...tls, `everything-${format}`, `docker://${R}/buildah/everything:${format}`]));
      }

      // buildah push: gzip (default), zstd, --disable-compression, Docker format, conversions.
      await push('buildah push (OCI, gzip)', `${R}/buildah/oci:amd64`, 1, () => b(['push', ...tls, 'oci-amd64', `docker://${R}/buildah/oci:amd64`]));
      await push('buildah push (OCI, arm64/v8)', `${R}/buildah/oci:arm64`, 1, () => b(['push', ...tls, 'oci-arm64', `docker://${R}/buildah/oci:arm64`]));
      await push('buildah push --compression-format zstd', `${R}/buildah/oci:zstd`, 1, () => b(['push', ...tls, '--compression-format', 'zstd', 'oci-zstd', `docker://${R}/buildah/oci:zstd`]));
      await push('buildah push --disable-compression', `${R}/buildah/oci:disable-compression`, 1, () => b(['push', ...tls, '--disable-compression', 'oci-plain', `docker://${R}/buildah/oci:disable-compression`]));
      await push('buildah push (Docker format)', `${R}/buildah/docker:amd64`, 1, () => b(['push', ...tls, 'docker-amd64', `docker://${R}/buildah/docker:amd64`]));
      await push('buildah push (Docker format, arm64/v8)', `${R}/buildah/docker:arm64`, 1, () => b(['push', ...tls, 'docker-arm64', `docker://${R}/buildah/docker:arm64`]));
      await push('buildah push --format v2s2 of an OCI image', `${R}/buildah/converted:v2s2`, 1, () => b(['push', ...tls, '--format', 'v2s2', 'oci-arm64', `docker://${R}/buildah/converted:v2s2`]));
      await push('buildah push --format oci of a Docker image', `${R}/buildah/converted:oci`, 1, () => b(['push', ...tls, '--format', 'oci', 'docker-arm64', `docker://${R}/buildah/converted:oci`]));

      // podman: manifest lists pushed without and with --format; podman push with --format.
      await p(['manifest', 'create', 'oci-list']);
      await p(['manifest', 'add', ...tls, 'oci-list', `docker://${R}/buildah/oci:amd64`]);
      await p(['manifest', 'add', ...tls, 'oci-list', `docker://${R}/buildah/oci:arm64`]);
      await p(['manifest', 'add', ...tls, 'oci-list', `docker://${R}/buildah/oci:zstd`]);
      await push('podman manifest push (no --format)', `${R}/podman/list:default`, 4, () => p(['manifest', 'push', ...tls, 'oci-list', `docker://${R}/podman/list:default`]));
      await push('podman manifest push --format oci', `${R}/podman/list:oci`, 4, () => p(['manifest', 'push', ...tls, '--format', 'oci', 'oci-list', `docker://${R}/podman/list:oci`]));
      await push('podman manifest push --format v2s2 (OCI images)', `${R}/podman/list:v2s2`, 3, async () => {
        // A zstd layer has no Docker media type: without it the conversion is possible.
        await p(['manifest', 'create', 'oci-list-gzip']);
        await p(['manifest', 'add', ...tls, 'oci-list-gzip', `docker://${R}/buildah/oci:amd64`]);
        await p(['manifest', 'add', ...tls, 'oci-list-gzip', `docker://${R}/buildah/oci:arm64`]);
        await p(['manifest', 'push', ...tls, '--format', 'v2s2', 'oci-list-gzip', `docker://${R}/podman/list:v2s2`]);
      });
      await p(['manifest', 'create', 'docker-list']);
      await p(['manifest', 'add', ...tls, 'docker-list', `docker://${R}/buildah/docker:amd64`]);
      await p(['manifest', 'add', ...tls, 'docker-list', `docker://${R}/buildah/docker:arm64`]);
      await push('podman manifest push (Docker images, no --format)', `${R}/podman/docker-list:default`, 3, () => p(['manifest', 'push', ...tls, 'docker-list', `docker://${R}/podman/docker-list:default`]));
      await push('podman manifest push --format v2s2', `${R}/podman/docker-list:v2s2`, 3, () => p(['manifest', 'push', ...tls, '--format', 'v2s2', 'docker-list', `docker://${R}/podman/docker-list:v2s2`]));
      await push('podman push --format oci of a Docker image', `${R}/podman/push:oci`, 1, () => p(['push', ...tls, '--format', 'oci', 'docker-amd64', `docker://${R}/podman/push:oci`]));
      await push('podman push --format v2s2 of an OCI image', `${R}/podman/push:v2s2`, 1, () => p(['push', ...tls, '--format', 'v2s2', 'oci-amd64', `docker://${R}/podman/push:v2s2`]));

      // skopeo: format conversions, --all, oci: layouts (one with an uncompressed layer).
      const src = ['--src-tls-verify=false'];
      const dst = ['--dest-tls-verify=false'];
      await push('skopeo copy --format v2s2', `${R}/skopeo/conv:v2s2`, 1, () => s(['copy', '-q', ...src, ...dst, '--format', 'v2s2', `docker://${R}/buildah/oci:amd64`, `docker://${R}/skopeo/conv:v2s2`]));
      await push('skopeo copy --format oci', `${R}/skopeo/conv:oci`, 1, () => s(['copy', '-q', ...src, ...dst, '--format', 'oci', `docker://${R}/buildah/docker:amd64`, `docker://${R}/skopeo/conv:oci`]));
      await push('skopeo copy --all (OCI index)', `${R}/skopeo/all:oci`, 4, () => s(['copy', '-q', '--all', ...src, ...dst, `docker://${R}/podman/list:default`, `docker://${R}/skopeo/all:oci`]));
      await push('skopeo copy --all (Docker list)', `${R}/skopeo/all:v2s2`, 3, () => s(['copy', '-q', '--all', ...src, ...dst, `docker://${R}/podman/docker-list:v2s2`, `docker://${R}/skopeo/all:v2s2`]));

      listLayout = box.path('layout-list');
      await s(['copy', '-q', '--all', ...src, `docker://${R}/podman/list:default`, `oci:${listLayout}:list`]);
      await s(['copy', '-q', ...src, `docker://${R}/buildah/oci:amd64`, `oci:${listLayout}:amd64`]);
      layouts.push(listLayout);
      const dockerLayout = box.path('layout-docker');
      await s(['copy', '-q', ...src, `docker://${R}/buildah/docker:amd64`, `oci:${dockerLayout}:docker`]);
      await s(['copy', '-q', '--all', ...src, `docker://${R}/podman/docker-list:v2s2`, `oci:${dockerLayout}:docker-list`]);
      layouts.push(dockerLayout);
      const plainLayout = box.path('layout-uncompressed');
      const storage = `containers-storage:[vfs@${join(box.dir, 'root')}+${join(box.dir, 'runroot')}]localhost/oci-plain:latest`;
      await s(['copy', '-q', '--dest-oci-accept-uncompressed-layers', storage, `oci:${plainLayout}:uncompressed`]);
      layouts.push(plainLayout);
      await push('skopeo copy --all from an oci: layout', `${R}/skopeo/from-layout:list`, 4, () => s(['copy', '-q', '--all', ...dst, `oci:${listLayout}:list`, `docker://${R}/skopeo/from-layout:list`]));
      await push('skopeo copy of an uncompressed oci: layout', `${R}/skopeo/from-layout:uncompressed`, 1, () => s(['copy', '-q', ...dst, `oci:${plainLayout}:uncompressed`, `docker://${R}/skopeo/from-layout:uncompressed`]));
    });

    after(async () => {
      box?.cleanup();
      await registry?.stop();
    });

    test('the tools made what the suite asked for (formats, compressions, layouts)', async () => {
      assert.ok(pushed.length >= 20, `references pushed: ${pushed.length}`);
      const mt = async (ref: string) => {
        const [repo, tag] = ref.slice(R.length + 1).split(':');
        return (await manifestOf(repo, tag)).json;
      };
      assert.equal((await mt(`${R}/buildah/oci:amd64`)).mediaType, 'application/vnd.oci.image.manifest.v1+json');
      assert.equal((await mt(`${R}/buildah/docker:amd64`)).mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
      assert.equal((await mt(`${R}/buildah/oci:zstd`)).layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
      assert.equal((await mt(`${R}/podman/list:default`)).mediaType, 'application/vnd.oci.image.index.v1+json');
      assert.equal((await mt(`${R}/podman/list:v2s2`)).mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
      assert.equal((await mt(`${R}/skopeo/conv:v2s2`)).mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
      assert.equal((await mt(`${R}/skopeo/conv:oci`)).mediaType, 'application/vnd.oci.image.manifest.v1+json');
      // The uncompressed layer lives in the layout (registry pushes always compress with these versions).
      const index = JSON.parse(readFileSync(join(layouts[2], 'index.json'), 'utf8'));
      const manifest = JSON.parse(readFileSync(join(layouts[2], 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8'));
      assert.equal(manifest.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar');
    });

    test('inspect --lint: no warning and no error on any manifest or index, children to the bottom', async () => {
      const problems: string[] = [];
      let checked = 0;
      await eachLimited(pushed, 3, async (p) => {
        const r = await runCli(['inspect', '--lint', '--format', 'json', '--no-creds', '--fail-on', 'warning', p.ref], { env: box.env });
        const out = JSON.parse(r.stdout.toString('utf8')) as { findings: JsonFile[] };
        assert.equal(out.findings.length, p.documents, `${p.by} (${p.ref}): documents checked by inspect --lint\n${r.stderr}`);
        checked += out.findings.length;
        problems.push(...loud(out.findings).map((l) => `${p.by}: ${l}`));
        if (loud(out.findings).length === 0) assert.equal(r.code, 0, `${p.ref}: exit code with no warning\n${r.stderr}`);
      });
      assert.deepEqual(problems, [], 'documents the tools made and accept get no warning and no error');
      assert.ok(checked >= 40, `documents checked: ${checked}`);
      process.stderr.write(`real-tools: inspect --lint checked ${checked} documents behind ${pushed.length} references the tools pushed\n`);
    });

    test('digest: the CLI, the registry and skopeo agree on every reference; --platform picks the index entry', async () => {
      await eachLimited(pushed, 2, async (p) => {
        const [repo, tag] = p.ref.slice(R.length + 1).split(':');
        const index = p.documents > 1;
        const [served, ours, raw, arm] = await Promise.all([
          manifestOf(repo, tag),
          runCli(['digest', '--no-creds', p.ref], { env: box.env }),
          box.skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${p.ref}`]),
          // (inspect --lint above already fetched and hashed every reference and child.)
          index ? runCli(['digest', '--verify', '--platform', 'linux/arm64', '--no-creds', p.ref], { env: box.env }) : undefined,
        ]);
        assert.equal(ours.code, 0, `digest ${p.ref}: ${ours.stderr}`);
        const digest = ours.stdout.toString('utf8').trim();
        assert.equal(digest, served.digest, `${p.by}: digest = Docker-Content-Digest`);
        assert.equal(sha256Digest(raw.stdout), digest, `${p.by}: sha256 of skopeo inspect --raw`);
        if (arm) {
          const entry = (served.json.manifests as { digest: string; platform?: { architecture: string } }[]).find((m) => m.platform?.architecture === 'arm64');
          assert.ok(entry, `${p.by}: the index has an arm64 entry`);
          assert.equal(arm.stdout.toString('utf8').trim(), entry.digest, `${p.by}: digest --verify --platform linux/arm64\n${arm.stderr}`);
        }
      });
    });

    test('lint: every config the tools wrote gets no warning and no error', async () => {
      const files: string[] = [];
      const seen = new Set<string>();
      const visit = async (repo: string, ref: string): Promise<void> => {
        const m = (await manifestOf(repo, ref)).json;
        for (const child of m.manifests ?? []) await visit(repo, child.digest);
        if (!m.config || seen.has(m.config.digest)) return;
        seen.add(m.config.digest);
        const blob = await httpCall(`${registry.url}/v2/${repo}/blobs/${m.config.digest}`);
        assert.equal(blob.status, 200);
        assert.equal(sha256Digest(blob.body), m.config.digest);
        const file = box.path(`config-${m.config.digest.slice(7, 19)}.json`);
        writeFileSync(file, blob.body);
        files.push(file);
      };
      for (const p of pushed) {
        const [repo, tag] = p.ref.slice(R.length + 1).split(':');
        await visit(repo, tag);
      }
      assert.ok(files.length >= 8, `distinct configs: ${files.length}`);
      const r = await runCli(['lint', '--format', 'json', ...files], { env: box.env });
      const out = JSON.parse(r.stdout.toString('utf8')) as JsonFile[];
      assert.equal(out.length, files.length);
      for (const f of out) assert.equal(f.kind, 'config', `${f.file} is read as a config`);
      assert.deepEqual(loud(out), [], 'configs the tools made get no warning and no error');
      process.stderr.write(`real-tools: lint checked ${files.length} distinct configs\n`);
    });

    test('lint: every OCI layout skopeo wrote (oci-layout, index.json and every JSON blob) gets no warning and no error', async () => {
      const files: string[] = [];
      for (const dir of layouts) {
        files.push(join(dir, 'index.json'), join(dir, 'oci-layout'));
        for (const name of readdirSync(join(dir, 'blobs', 'sha256'))) {
          const path = join(dir, 'blobs', 'sha256', name);
          const bytes = readFileSync(path);
          assert.equal(sha256Digest(bytes), `sha256:${name}`, `${path} hashes to its name`);
          try {
            JSON.parse(bytes.toString('utf8'));
            files.push(path);
          } catch {
            // a layer
          }
        }
      }
      const r = await runCli(['lint', '--format', 'json', ...files], { env: box.env });
      const out = JSON.parse(r.stdout.toString('utf8')) as JsonFile[];
      assert.equal(out.length, files.length);
      const kinds = new Set(out.map((f) => f.kind));
      for (const k of ['oci-layout', 'oci-index', 'oci-manifest', 'config']) assert.ok(kinds.has(k), `layouts hold a ${k}: ${[...kinds]}`);
      assert.deepEqual(loud(out), [], 'layouts skopeo wrote get no warning and no error');
      process.stderr.write(`real-tools: lint checked ${files.length} files of ${layouts.length} OCI layouts\n`);
      // index.json names an index by tag: skopeo and podman follow it (below), so no nested-index claim.
      const listIndex = out.find((f) => f.file === join(listLayout, 'index.json'))!;
      assert.deepEqual(listIndex.findings.filter((f) => f.ruleId === 'index-nested-index'), []);
    });

    test('mixed-config-media-type quotes what this podman prints, and says what skopeo does', async () => {
      const base = await manifestOf('buildah/oci', 'amd64');
      const mixed = { ...base.json, config: { ...base.json.config, mediaType: DOCKER_CONFIG } };
      await putManifest('buildah/oci', 'mixed', mixed);
      const ref = `${R}/buildah/oci:mixed`;

      const lint = await runCli(['inspect', '--lint', '--format', 'json', '--no-creds', ref], { env: box.env });
      const findings = (JSON.parse(lint.stdout.toString('utf8')) as { findings: JsonFile[] }).findings[0].findings;
      const rule = findings.find((f) => f.ruleId === 'mixed-config-media-type');
      assert.ok(rule, `the hand-made mixed image gets mixed-config-media-type: ${JSON.stringify(findings)}`);
      assert.equal(rule.severity, 'error');
      assert.equal(lint.code, 1);

      const version = versionOf((await box.podman(['--version'])).stdout.toString('utf8'));
      // The message is one sentence (issue 24); the tools' output is quoted in the rule's why (the hover, docs/rules.md).
      assert.match(rule.message, /podman and buildah refuse to pull it, and skopeo inspect fails/);
      const why = whyOf('mixed-config-media-type');
      const quotes = quotesFor(why, version);
      const pull = await box.podman(['pull', ...tls, ref], { allowFailure: true });
      assert.notEqual(pull.code, 0, `podman ${version} refuses the mixed image`);
      const quote = quotes.find((q) => pull.stderr.includes(q));
      assert.ok(quote, `podman ${version} prints the quoted text ${JSON.stringify(quotes)}; it printed:\n${pull.stderr}`);

      // buildah 1.28 (same containers/image) says the same when it starts from the image.
      const buildahVersion = versionOf((await box.buildah(['--version'])).stdout.toString('utf8'));
      const from = await box.buildah(['from', ...tls, ref], { allowFailure: true });
      assert.notEqual(from.code, 0, `buildah ${buildahVersion} from refuses the mixed image`);
      assert.ok(quotes.some((q) => from.stderr.includes(q)), `buildah ${buildahVersion} prints ${JSON.stringify(quotes)}:\n${from.stderr}`);
      if (buildahVersion.startsWith('1.28.')) assert.match(why, /buildah 1\.28/);

      // skopeo: inspect fails (with the same error), a plain copy succeeds, a format conversion fails.
      const skopeoVersion = versionOf((await box.skopeo(['--version'])).stdout.toString('utf8'));
      const inspect = await box.skopeo(['inspect', ...tls, `docker://${ref}`], { allowFailure: true });
      assert.notEqual(inspect.code, 0, `skopeo ${skopeoVersion} inspect refuses it`);
      const errorText = quote.replace(/^parsing image configuration: /, '');
      assert.ok(inspect.stderr.includes(errorText.replace(/"/g, '\\"')) || inspect.stderr.includes(errorText), `skopeo inspect prints ${errorText}:\n${inspect.stderr}`);
      const copy = await box.skopeo(['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `dir:${box.path('mixed-dir')}`], { allowFailure: true });
      assert.equal(copy.code, 0, `skopeo ${skopeoVersion} copy of the mixed image succeeds, as the message says:\n${copy.stderr}`);
      const convert = await box.skopeo(['copy', '-q', '--src-tls-verify=false', '--format', 'v2s2', `docker://${ref}`, `dir:${box.path('mixed-v2s2')}`], { allowFailure: true });
      assert.notEqual(convert.code, 0, `skopeo ${skopeoVersion} copy --format v2s2 of the mixed image fails`);
      assert.match(why, /skopeo copy/);
      assert.match(why, new RegExp(`podman ${version.split('.').slice(0, 2).join('\\.')}`));
    });

    test('layer rules quote what podman and skopeo print for hand-made layer types, and stay info where podman pulls', async () => {
      const version = versionOf((await box.podman(['--version'])).stdout.toString('utf8'));
      const docker = await manifestOf('buildah/docker', 'amd64');
      const oci = await manifestOf('buildah/oci', 'zstd');
      const relabel = (doc: { layers: { mediaType: string }[] }, mediaType: string) => ({ ...doc, layers: doc.layers.map((l) => ({ ...l, mediaType })) });
      const cases = [
        // A Docker manifest with an OCI layer type, and with a Docker-style zstd type: refused.
        { repo: 'buildah/docker', tag: 'oci-layer', doc: relabel(docker.json, 'application/vnd.oci.image.layer.v1.tar+gzip'), rule: 'mixed-layer-in-docker-manifest', severity: 'error', pulls: false },
        { repo: 'buildah/docker', tag: 'docker-zstd', doc: relabel(docker.json, 'application/vnd.docker.image.rootfs.diff.tar.zstd'), rule: 'docker-zstd-layer-nonstandard', severity: 'error', pulls: false },
        // The Docker-style zstd type in an OCI manifest: podman pulls it, so no more than info.
        { repo: 'buildah/oci', tag: 'docker-zstd', doc: relabel(oci.json, 'application/vnd.docker.image.rootfs.diff.tar.zstd'), rule: 'docker-zstd-layer-nonstandard', severity: 'info', pulls: true },
      ];
      for (const c of cases) {
        await putManifest(c.repo, c.tag, c.doc);
        const ref = `${R}/${c.repo}:${c.tag}`;
        const lint = await runCli(['inspect', '--lint', '--format', 'json', '--no-creds', ref], { env: box.env });
        const finding = (JSON.parse(lint.stdout.toString('utf8')) as { findings: JsonFile[] }).findings[0].findings.find((f) => f.ruleId === c.rule);
        assert.ok(finding, `${ref} gets ${c.rule}`);
        assert.equal(finding.severity, c.severity, `${ref}: ${c.rule} severity`);
        const pull = await box.podman(['pull', ...tls, ref], { allowFailure: true });
        if (c.pulls) {
          assert.equal(pull.code, 0, `podman ${version} pulls ${ref}:\n${pull.stderr}`);
          assert.doesNotMatch(finding.message, /refuse/);
          continue;
        }
        assert.notEqual(pull.code, 0, `podman ${version} refuses ${ref}`);
        assert.match(finding.message, /refuse/);
        const quotes = [...whyOf(c.rule).matchAll(/`([^`]+)`/g)].map((m) => m[1]);
        assert.ok(quotes.length > 0 && quotes.every((q) => pull.stderr.includes(q)), `podman ${version} prints ${JSON.stringify(quotes)}:\n${pull.stderr}`);
        const inspect = await box.skopeo(['inspect', ...tls, `docker://${ref}`], { allowFailure: true });
        assert.notEqual(inspect.code, 0, `skopeo inspect refuses ${ref}`);
        assert.ok(quotes.every((q) => inspect.stderr.includes(q.replace(/"/g, '\\"')) || inspect.stderr.includes(q)), `skopeo prints ${JSON.stringify(quotes)}:\n${inspect.stderr}`);
      }
    });

    test('platform-required-field quotes what podman prints when no entry can match', async () => {
      const list = await manifestOf('podman/list', 'default');
      const noOs = { ...list.json, manifests: list.json.manifests.map((m: { platform: Record<string, string> }) => ({ ...m, platform: { architecture: m.platform.architecture } })) };
      await putManifest('podman/list', 'no-os', noOs);
      const ref = `${R}/podman/list:no-os`;
      const lint = await runCli(['inspect', '--lint', '--format', 'json', '--no-creds', ref], { env: box.env });
      const findings = (JSON.parse(lint.stdout.toString('utf8')) as { findings: JsonFile[] }).findings[0].findings;
      assert.ok(findings.some((f) => f.ruleId === 'platform-required-field' && f.severity === 'error'), JSON.stringify(findings));
      const rules = await runCli(['rules', '--format', 'json', 'platform-required-field']);
      const why = (JSON.parse(rules.stdout.toString('utf8')) as { why: string }[])[0].why;
      const quote = /podman 4\.3\.1 answers `([^`]+)`/.exec(why);
      assert.ok(quote, `platform-required-field's why quotes podman 4.3.1: ${why}`);
      const version = versionOf((await box.podman(['--version'])).stdout.toString('utf8'));
      const pull = await box.podman(['pull', ...tls, ref], { allowFailure: true });
      assert.notEqual(pull.code, 0, `podman ${version} finds no image`);
      // The quote names the host's architecture (amd64 on CI); compare the part before it elsewhere.
      const expected = process.arch === 'x64' ? quote[1] : quote[1].split(' amd64')[0];
      if (version.startsWith('4.3.')) assert.ok(pull.stderr.includes(expected), `podman ${version} prints ${JSON.stringify(expected)}:\n${pull.stderr}`);
    });

    test('index-nested-index: podman cannot pull a nested index from the registry; from a layout both tools follow an index.json entry', async () => {
      const inner = await manifestOf('podman/list', 'default');
      const nested = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ mediaType: inner.json.mediaType, digest: inner.digest, size: inner.bytes.length }],
      };
      await putManifest('podman/list', 'nested', nested);
      const ref = `${R}/podman/list:nested`;

      // inspect --lint goes to the bottom: the outer index, the inner index and its three images.
      const lint = await runCli(['inspect', '--lint', '--format', 'json', '--no-creds', ref], { env: box.env });
      const files = (JSON.parse(lint.stdout.toString('utf8')) as { findings: JsonFile[] }).findings;
      assert.equal(files.length, 5, `documents checked: ${files.map((f) => f.file).join(', ')}\n${lint.stderr}`);
      const rule = files[0].findings.find((f) => f.ruleId === 'index-nested-index');
      assert.ok(rule, 'the registry-served nested index gets index-nested-index');

      const version = versionOf((await box.podman(['--version'])).stdout.toString('utf8'));
      const pull = await box.podman(['pull', ...tls, ref], { allowFailure: true });
      assert.notEqual(pull.code, 0, `podman ${version} cannot pull a nested index from a registry`);
      const quotes = quotesFor(whyOf('index-nested-index'), version);
      assert.ok(quotes.some((q) => pull.stderr.includes(q)), `podman ${version} prints ${JSON.stringify(quotes)}:\n${pull.stderr}`);
      // The message says skopeo copy fails too.
      assert.match(rule.message, /skopeo copy fails/);
      const copy = await box.skopeo(['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `dir:${box.path('nested-dir')}`], { allowFailure: true });
      assert.notEqual(copy.code, 0, `skopeo copy of a registry-served nested index fails:\n${copy.stderr}`);
      assert.ok(quotes.some((q) => copy.stderr.includes(q)), `skopeo prints ${JSON.stringify(quotes)}:\n${copy.stderr}`);

      // From a layout, index.json → index (what skopeo copy --all writes) is followed by both.
      const fromLayout = await box.skopeo(['copy', '-q', `oci:${listLayout}:list`, `dir:${box.path('from-layout')}`], { allowFailure: true });
      assert.equal(fromLayout.code, 0, `skopeo copy oci:DIR:list dir:… follows index.json to the index:\n${fromLayout.stderr}`);
      const podmanLayout = await box.podman(['pull', '-q', `oci:${listLayout}:list`], { allowFailure: true });
      assert.equal(podmanLayout.code, 0, `podman pull oci:DIR:list follows index.json to the index:\n${podmanLayout.stderr}`);
    });
  });
}
