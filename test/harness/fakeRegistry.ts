/**
 * A registry in this process that serves what the test puts in it and lies where the test says:
 * manifests by tag or digest, blobs by digest, referrers (404: the fallback tag), and a hook that
 * answers any request first. For what a real registry never does (verify-hostile.test.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface FakeRegistry {
  readonly host: string;
  readonly manifests: Map<string, { bytes: Buffer; mediaType: string }>;
  readonly blobs: Map<string, Buffer>;
  /** Answers the request itself when it returns true. */
  hook?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Every request's method and path. */
  readonly log: string[];
  putManifest(repo: string, reference: string | undefined, value: unknown, mediaType?: string): { bytes: Buffer; digest: string; mediaType: string };
  putBlob(bytes: Buffer): string;
  close(): Promise<void>;
}

export const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  const blobs = new Map<string, Buffer>();
  const log: string[] = [];
  const reg = {} as FakeRegistry;
  const server: Server = createServer((req, res) => {
    log.push(`${req.method} ${req.url}`);
    req.resume();
    if (reg.hook?.(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(url.pathname);
    const notFound = (): void => void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"not found"}]}');
    if (!m) return notFound();
    const [, repo, kind, ref] = m;
    if (kind === 'manifests') {
      const d = manifests.get(`${repo}@${decodeURIComponent(ref)}`);
      if (!d) return notFound();
      res.writeHead(200, { 'Content-Type': d.mediaType, 'Content-Length': d.bytes.length, 'Docker-Content-Digest': `sha256:${sha256hex(d.bytes)}` });
      res.end(req.method === 'HEAD' ? undefined : d.bytes);
      return;
    }
    if (kind === 'blobs') {
      const b = blobs.get(decodeURIComponent(ref));
      if (!b) return notFound();
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': b.length });
      res.end(req.method === 'HEAD' ? undefined : b);
      return;
    }
    return notFound();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  Object.assign(reg, {
    host: `127.0.0.1:${port}`,
    manifests,
    blobs,
    log,
    putManifest(repo: string, reference: string | undefined, value: unknown, mediaType = 'application/vnd.oci.image.manifest.v1+json') {
      const bytes = Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value));
      const digest = `sha256:${sha256hex(bytes)}`;
      manifests.set(`${repo}@${digest}`, { bytes, mediaType });
      if (reference) manifests.set(`${repo}@${reference}`, { bytes, mediaType });
      return { bytes, digest, mediaType };
    },
    putBlob(bytes: Buffer) {
      const digest = `sha256:${sha256hex(bytes)}`;
      blobs.set(digest, bytes);
      return digest;
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  });
  return reg;
}
