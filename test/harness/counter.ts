/**
 * A plain HTTP forwarder to a test registry that records each request (method and path), so a
 * test sees every request a client sent (no write request for a dry run, children before the
 * tag); a hook may answer instead of the registry (a 403, a tag moved under us).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Seen { readonly method: string; readonly path: string }

/** A plain HTTP forwarder to the registry that records each request; `hook` runs before forwarding. */
/** What a hook may answer instead of the registry. */
export interface Answer { readonly status: number; readonly body: string }
export type Hook = (s: Seen) => Promise<Answer | void>;

export async function startCounter(target: string): Promise<{ host: string; seen: Seen[]; hook?: Hook; close(): Promise<void> }> {
  const [thost, tport] = [target.split(':')[0]!, Number(target.split(':')[1])];
  const sockets = new Set<Socket>();
  const state: { host: string; seen: Seen[]; hook?: Hook; close(): Promise<void> } = { host: '', seen: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const s: Seen = { method: req.method ?? '', path: req.url ?? '' };
    state.seen.push(s);
    void (state.hook ? state.hook(s) : Promise.resolve()).then((answer) => {
      if (answer) {
        req.resume();
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
        return;
      }
      const up = httpRequest({ host: thost, port: tport, method: req.method, path: req.url, headers: req.headers, agent: false }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
  });
  server.on('connection', (sock: Socket) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((r) => {
    for (const sock of sockets) sock.destroy();
    server.close(() => r());
  });
  return state;
}
