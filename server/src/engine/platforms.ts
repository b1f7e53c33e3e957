/**
 * Platform tables (rules.md §10): the operating systems and architectures Go knows, the
 * GOOS/GOARCH pairs `go tool dist list` prints, the variants image-spec names, and
 * containerd's normalisation of common aliases (`aarch64`, `x86_64`, `armhf`, …).
 */

/** containerd/platforms isKnownOS (generated from go/build/syslist.go), plus wasip1 which Go added later. */
export const KNOWN_OS: ReadonlySet<string> = new Set([
  'aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd',
  'openbsd', 'plan9', 'solaris', 'wasip1', 'windows', 'zos',
]);

/** containerd/platforms isKnownArch. */
export const KNOWN_ARCH: ReadonlySet<string> = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle',
  'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
]);

/**
 * GOOS → GOARCH values Go builds for (cmd/dist/build.go cgoEnabled, "the single point of truth for
 * supported platforms"; the copy rules.md §10 lists). OSes absent here (hurd, nacl, zos) have no port
 * in current Go, so their pairs are not judged.
 */
export const VALID_PAIRS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries({
    aix: ['ppc64'],
    android: ['386', 'amd64', 'arm', 'arm64'],
    darwin: ['amd64', 'arm64'],
    dragonfly: ['amd64'],
    freebsd: ['386', 'amd64', 'arm', 'arm64', 'riscv64'],
    illumos: ['amd64'],
    ios: ['amd64', 'arm64'],
    js: ['wasm'],
    linux: ['386', 'amd64', 'arm', 'arm64', 'loong64', 'ppc64', 'ppc64le', 'mips', 'mipsle', 'mips64', 'mips64le', 'riscv64', 's390x', 'sparc64'],
    netbsd: ['386', 'amd64', 'arm', 'arm64'],
    openbsd: ['386', 'amd64', 'arm', 'arm64', 'mips64', 'ppc64', 'riscv64'],
    plan9: ['386', 'amd64', 'arm'],
    solaris: ['amd64'],
    wasip1: ['wasm'],
    windows: ['386', 'amd64', 'arm', 'arm64'],
  }).map(([os, arches]) => [os, new Set(arches)]),
);

/**
 * Variants image-spec "Platform Variants" names, per architecture (GOARM, GOARM64, GOAMD64,
 * GOPPC64, GORISCV64). A test per architecture, since GOARM64 accepts v8.0–v8.9 and v9.0–v9.5.
 */
const VARIANTS: ReadonlyMap<string, { readonly test: (v: string) => boolean; readonly examples: string }> = new Map([
  ['arm', { test: (v: string) => /^v[5-8]$/.test(v), examples: 'v5, v6, v7, v8' }],
  ['arm64', { test: (v: string) => /^v8(?:\.[0-9])?$|^v9(?:\.[0-5])?$/.test(v), examples: 'v8, v8.1 … v8.9, v9 … v9.5' }],
  ['amd64', { test: (v: string) => /^v[1-4]$/.test(v), examples: 'v1, v2, v3, v4' }],
  ['ppc64le', { test: (v: string) => /^power(?:8|9|10)$/.test(v), examples: 'power8, power9, power10' }],
  ['ppc64', { test: (v: string) => /^power(?:8|9|10)$/.test(v), examples: 'power8, power9, power10' }],
  ['riscv64', { test: (v: string) => /^rva2[023]u64$/.test(v), examples: 'rva20u64, rva22u64, rva23u64' }],
]);

/** Whether image-spec names `variant` for `arch`; undefined when the architecture has no variant table. */
export function variantKnown(arch: string, variant: string): boolean | undefined {
  const t = VARIANTS.get(arch);
  return t ? t.test(variant) : undefined;
}

/** The variants image-spec lists for an architecture, as text for messages. */
export function variantExamples(arch: string): string | undefined {
  return VARIANTS.get(arch)?.examples;
}

export interface PlatformValues {
  readonly os: string;
  readonly architecture: string;
  /** '' when absent. */
  readonly variant: string;
}

const ARCH_ALIASES: ReadonlyMap<string, string> = new Map([
  ['i386', '386'], ['x86_64', 'amd64'], ['x86-64', 'amd64'], ['aarch64', 'arm64'], ['armhf', 'arm'], ['armel', 'arm'],
]);

/**
 * containerd/platforms normalizeOS / normalizeArch as rules.md §10 describes it, limited to the
 * changes that rename a value (aliases, case, a variant written without its "v"). It does not
 * add the arm default `v7` to a bare `arm` (that is platform-arm-variant-missing) and keeps
 * `amd64/v1` and `arm64/v8`, which image-spec lists as valid variants.
 * Returns undefined when the values are already normalised.
 */
export function normalizePlatform(p: PlatformValues): PlatformValues | undefined {
  let os = p.os.toLowerCase();
  if (os === 'macos') os = 'darwin';
  const arch0 = p.architecture.toLowerCase();
  let variant = p.variant.toLowerCase();
  let architecture = ARCH_ALIASES.get(arch0) ?? arch0;
  switch (arch0) {
    case 'i386':
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
      if (['8', 'v8', 'v8.0'].includes(variant)) variant = '';
      else if (['9', '9.0', 'v9.0'].includes(variant)) variant = 'v9';
      break;
    case 'arm64':
      if (variant === '8') variant = 'v8';
      else if (variant === '9' || variant === '9.0') variant = 'v9';
      break;
    case 'armhf':
      variant = 'v7';
      break;
    case 'armel':
      variant = 'v6';
      break;
    case 'arm':
      if (['5', '6', '7', '8'].includes(variant)) variant = 'v' + variant;
      break;
    default:
      architecture = arch0;
  }
  if (os === p.os && architecture === p.architecture && variant === p.variant) return undefined;
  return { os, architecture, variant };
}

/** A stable key for comparing platforms (index-duplicate-platform). */
export function platformKey(p: PlatformValues & { readonly osVersion?: string; readonly osFeatures?: readonly string[] }): string {
  const n = normalizePlatform(p) ?? p;
  const features = p.osFeatures ? [...p.osFeatures].sort().join(',') : '';
  return `${n.os}/${n.architecture}/${n.variant}/${p.osVersion ?? ''}/${features}`;
}

/** Human form, `linux/arm64/v8`. */
export function platformText(p: PlatformValues): string {
  return `${p.os}/${p.architecture}${p.variant ? '/' + p.variant : ''}`;
}

/**
 * Whether no platform rule has anything to say about os/architecture/variant: normalised,
 * a known os and architecture that Go pairs, and a variant image-spec lists (arm needs one;
 * an architecture without a variant table takes none). For engine/plain.ts.
 */
export function platformIsPlain(os: string, architecture: string, variant: string): boolean {
  if (normalizePlatform({ os, architecture, variant })) return false;
  if (!KNOWN_OS.has(os) || !KNOWN_ARCH.has(architecture) || !VALID_PAIRS.get(os)?.has(architecture)) return false;
  if (variant === '') return architecture !== 'arm';
  return variantKnown(architecture, variant) === true;
}
