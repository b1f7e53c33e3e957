/**
 * A tiny HTTP/1.1 client on node:http for the harness. The harness does not use the global
 * fetch: the code under test imports npm undici, which installs its own Agent as fetch's global
 * dispatcher, and the harness must not depend on (or disturb) that.
 */
import { request as httpRequest } from 'node:http';

export interface HttpResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** One request; resolves with the whole body. Loopback plain http only. */
export function httpCall(
  url: string | URL,
  options: { method?: string; headers?: Record<string, string>; body?: Uint8Array; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const u = new URL(url);
  if (u.protocol !== 'http:') return Promise.reject(new Error(`harness http: only http:// URLs, got ${u.protocol}`));
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body) headers['Content-Length'] = String(options.body.length);
    const req = httpRequest(u, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 15_000, () => req.destroy(new Error(`harness http: ${options.method ?? 'GET'} ${u} timed out`)));
    req.on('error', reject);
    req.end(options.body ? Buffer.from(options.body) : undefined);
  });
}

/** A header as one string (first value). */
export function headerValue(r: HttpResult, name: string): string | undefined {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
