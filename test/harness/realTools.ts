/**
 * Debian's buildah, podman and skopeo, run as real users run them, for the real-tools suite
 * (test/realtools). Every tool runs with its own throw-away storage (vfs driver, temp --root and
 * --runroot, temp storage.conf, registries.conf and libpod tmpdir), a clean HOME and chroot
 * isolation, so nothing touches the system's container storage and it works in a container
 * without overlay or user namespaces. Images are built without running anything in them:
 * `buildah from scratch` + `copy` + `config` + `commit`. The only network is 127.0.0.1.
 *
 * One thing these tools write outside the temp directory and cannot be told not to: as root,
 * containers/image keeps its blob-info cache in /var/lib/containers/cache (no flag moves it).
 * Blobs it remembers are reused across pushes, so every image built here carries a file with a
 * run-unique nonce: a push never borrows another variant's (or another run's) blob.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram, type RunResult } from './cli';
import { findExecutable, registryBinary, skopeoBinary } from './tools';

export interface RealTools {
  readonly buildah: string;
  readonly podman: string;
  readonly skopeo: string;
}

/** The three tools, or undefined when one is missing. */
export function realToolBinaries(): RealTools | undefined {
  const buildah = findExecutable(['/usr/bin/buildah', 'buildah']);
  const podman = findExecutable(['/usr/bin/podman', 'podman']);
  const skopeo = skopeoBinary();
  return buildah && podman && skopeo ? { buildah, podman, skopeo } : undefined;
}

/** The skip reason for the real-tools suite (loud on stderr), or undefined when all are there. */
export function skipUnlessRealTools(): string | undefined {
  const missing = [
    registryBinary() ? '' : 'docker-registry',
    findExecutable(['/usr/bin/buildah', 'buildah']) ? '' : 'buildah',
    findExecutable(['/usr/bin/podman', 'podman']) ? '' : 'podman',
    skopeoBinary() ? '' : 'skopeo',
  ].filter(Boolean);
  if (missing.length === 0) return undefined;
  const reason = `${missing.join(', ')} not installed: run node scripts/ensure-deps.mjs (needs root/apt)`;
  process.stderr.write(`WARNING: SKIPPING the real-tools suite: ${reason}\n`);
  return reason;
}

/** The result of one tool run, with the command line for messages. */
export interface ToolRun extends RunResult {
  readonly command: string;
}

export interface ToolBox {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly tools: RealTools;
  /** `buildah --root … ARGS…`; throws with the tool's stderr unless `allowFailure`. */
  buildah(args: readonly string[], options?: { allowFailure?: boolean }): Promise<ToolRun>;
  podman(args: readonly string[], options?: { allowFailure?: boolean }): Promise<ToolRun>;
  skopeo(args: readonly string[], options?: { allowFailure?: boolean }): Promise<ToolRun>;
  /** A fresh path under the box's directory. */
  path(name: string): string;
  /** Removes every file the tools wrote (vfs layers of root-owned files need a plain rm -rf). */
  cleanup(): void;
}

/**
 * Sets up the throw-away storage and configuration for the tools. `insecureHost` (`127.0.0.1:PORT`)
 * is listed as insecure in the temp registries.conf; the tests also pass --tls-verify=false,
 * which is what the reporter typed.
 */
export function toolBox(tools: RealTools, insecureHost: string): ToolBox {
  // Lowercase only: `podman pull oci:DIR:tag` names the image after DIR, and a reference is lowercase.
  const dir = join(tmpdir(), `manifest-lens-realtools-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { mode: 0o700 });
  const root = join(dir, 'root');
  const runroot = join(dir, 'runroot');
  const tmp = join(dir, 'libpod-tmp');
  const home = join(dir, 'home');
  for (const d of [root, runroot, tmp, home, join(dir, 'work')]) mkdirSync(d, { recursive: true });
  // An empty auth file: the tools check REGISTRY_AUTH_FILE exists, and no credential is ever needed.
  writeFileSync(join(home, 'auth.json'), '{"auths":{}}\n');
  const registriesConf = join(dir, 'registries.conf');
  // No search registries and no short-name aliases: nothing may resolve to a public registry.
  writeFileSync(registriesConf, [
    'unqualified-search-registries = []',
    'short-name-mode = "disabled"',
    '[[registry]]',
    `location = "${insecureHost}"`,
    'insecure = true',
    '',
  ].join('\n'));
  const storageConf = join(dir, 'storage.conf');
  writeFileSync(storageConf, `[storage]\ndriver = "vfs"\ngraphroot = "${root}"\nrunroot = "${runroot}"\n`);
  const containersConf = join(dir, 'containers.conf');
  writeFileSync(containersConf, `[engine]\nevents_logger = "none"\ntmp_dir = "${tmp}"\ncgroup_manager = "cgroupfs"\n`);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: home,
    XDG_RUNTIME_DIR: join(dir, 'runroot'),
    XDG_CONFIG_HOME: join(home, '.config'),
    DOCKER_CONFIG: join(home, '.docker'),
    REGISTRY_AUTH_FILE: join(home, 'auth.json'),
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    CONTAINERS_STORAGE_CONF: storageConf,
    CONTAINERS_CONF: containersConf,
    BUILDAH_ISOLATION: 'chroot',
    TMPDIR: join(dir, 'work'),
    LANG: 'C.UTF-8',
  };
  const storageFlags = ['--root', root, '--runroot', runroot, '--storage-driver', 'vfs'];
  let counter = 0;
  const call = async (bin: string, args: readonly string[], allowFailure = false): Promise<ToolRun> => {
    const r = await runProgram(bin, args, { env, timeoutMs: 120_000 });
    const command = [bin.split('/').pop(), ...args].join(' ');
    if (r.code !== 0 && !allowFailure) {
      throw new Error(`${command} exited ${r.code ?? r.signal}:\n${r.stderr}${r.stdout.toString('utf8')}`);
    }
    return { ...r, command };
  };
  return {
    dir,
    env,
    tools,
    buildah: (args, o) => call(tools.buildah, [...storageFlags, ...args], o?.allowFailure),
    podman: (args, o) => call(tools.podman, [...storageFlags, '--tmpdir', tmp, '--events-backend', 'none', '--cgroup-manager', 'cgroupfs', ...args], o?.allowFailure),
    skopeo: (args, o) => call(tools.skopeo, args, o?.allowFailure),
    path: (name) => join(dir, 'work', `${++counter}-${name}`),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What `buildImage` makes: a local image name in the box's storage. */
export interface BuildSpec {
  /** Local name, e.g. `oci-amd64`. */
  readonly name: string;
  readonly format: 'oci' | 'docker';
  readonly os?: string;
  readonly arch: string;
  readonly variant?: string;
  /** Text of the one file in the image (a run nonce is appended). */
  readonly content: string;
  /** More `buildah config` options (ports, volumes, annotations, healthcheck…). */
  readonly config?: readonly string[];
  /** More `buildah commit` options (e.g. --timestamp 0). */
  readonly commit?: readonly string[];
}

/**
 * Builds an image from scratch, never running anything in it: one small file, a command, an
 * environment variable, a label and the platform, committed in the given format.
 */
export async function buildImage(box: ToolBox, spec: BuildSpec, nonce: string): Promise<void> {
  const container = (await box.buildah(['from', '--name', `${spec.name}-work`, 'scratch'])).stdout.toString('utf8').trim();
  const file = box.path(`${spec.name}.txt`);
  writeFileSync(file, `${spec.content}\n${nonce}\n`);
  await box.buildah(['copy', '--quiet', container, file, '/hello.txt']);
  await box.buildah([
    'config',
    '--os', spec.os ?? 'linux',
    '--arch', spec.arch,
    ...(spec.variant ? ['--variant', spec.variant] : []),
    '--cmd', '["/hello.txt"]',
    '--env', 'GREETING=hello',
    '--label', `org.example.built-by=manifest-lens-realtools`,
    ...(spec.config ?? []),
    container,
  ]);
  await box.buildah(['commit', '--quiet', '--format', spec.format, ...(spec.commit ?? []), container, spec.name]);
  await box.buildah(['rm', container]);
}
