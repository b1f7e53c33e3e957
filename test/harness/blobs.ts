/**
 * Image content built in code for the seeded registry: a valid one-file tar, gzipped, and the
 * image config that describes it. Content is derived from a label, so the same label always
 * gives the same bytes (and digests) on a given Node/zlib build.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/** Writes `value` as a NUL-terminated, zero-padded octal field of `width` bytes. */
function octal(header: Buffer, offset: number, width: number, value: number): void {
  header.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, width, 'ascii');
}

/**
 * A POSIX ustar archive holding one regular file: a 512-byte header, the content padded to a
 * 512-byte boundary, and the two zero blocks that end an archive.
 */
export function tarOneFile(name: string, content: Uint8Array, mtime = 1711584000 /* 2024-03-28 */): Buffer {
  if (Buffer.byteLength(name) > 99) throw new Error(`tar name too long: ${name}`);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  octal(header, 100, 8, 0o644); // mode
  octal(header, 108, 8, 0); // uid
  octal(header, 116, 8, 0); // gid
  octal(header, 124, 12, content.length); // size
  octal(header, 136, 12, mtime);
  header.write('        ', 148, 8, 'ascii'); // checksum counts as spaces while summing
  header.write('0', 156, 1, 'ascii'); // typeflag: regular file
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  header.write('root', 265, 32, 'ascii');
  header.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  const padded = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  Buffer.from(content).copy(padded);
  return Buffer.concat([header, padded, Buffer.alloc(1024)]);
}

/** A layer: the gzip blob a registry stores and the digest of its uncompressed tar (the diff_id). */
export interface LayerBlob {
  readonly tar: Buffer;
  readonly gzip: Buffer;
  readonly diffId: string;
  readonly digest: string;
  readonly size: number;
}

/** A small deterministic layer for `label`: one text file whose content is derived from the label. */
export function makeLayer(label: string): LayerBlob {
  const noise = createHash('sha256').update(`manifest-lens seed ${label}`).digest('hex');
  const content = Buffer.from(`hello from ${label}\n${noise}\n`, 'utf8');
  const fileName = `etc/manifest-lens/${label.replace(/[^A-Za-z0-9._-]+/g, '-')}.txt`;
  const tar = tarOneFile(fileName, content);
  const gzip = gzipSync(tar, { level: 9 });
  return { tar, gzip, diffId: sha256Digest(tar), digest: sha256Digest(gzip), size: gzip.length };
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** An image config (the same JSON shape serves the Docker and the OCI config media types). */
export function makeConfig(label: string, platform: Platform, layers: readonly LayerBlob[]): Buffer {
  const created = '2024-03-28T00:00:00Z';
  const config = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created,
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['/bin/sh'],
      Labels: { 'org.opencontainers.image.title': label },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created, created_by: `manifest-lens seed: ADD layer ${i} of ${label}` })),
  };
  return Buffer.from(JSON.stringify(config), 'utf8');
}
