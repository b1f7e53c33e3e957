/**
 * A forward proxy on 127.0.0.1 for tests: it answers CONNECT (which undici's ProxyAgent uses for
 * every request, http or https) by tunnelling to the address a test maps the requested host to,
 * so a registry can be reached under a name that resolves nowhere else (no DNS query is made).
 * It can require Basic proxy credentials, and records what it was asked.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface TestProxy {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** CONNECT targets as asked (host:port), in order. */
  readonly connects: string[];
  /** Proxy-Authorization headers received. */
  readonly authorizations: string[];
  close(): Promise<void>;
}

export async function startProxy(options: { routes: Readonly<Record<string, string>>; basic?: { user: string; password: string } }): Promise<TestProxy> {
  const connects: string[] = [];
  const authorizations: string[] = [];
  const sockets = new Set<Socket>();
  const expected = options.basic ? `Basic ${Buffer.from(`${options.basic.user}:${options.basic.password}`).toString('base64')}` : undefined;
  const server: Server = createServer((_req, res) => {
    // Plain forward requests (absolute URIs) are not what undici sends; refuse them visibly.
    res.writeHead(501, { 'content-type': 'text/plain' });
    res.end('this test proxy only tunnels (CONNECT)\n');
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    connects.push(target);
    const auth = req.headers['proxy-authorization'];
    if (auth) authorizations.push(auth);
    if (expected && auth !== expected) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const route = options.routes[target];
    if (!route) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = [route.slice(0, route.lastIndexOf(':')), Number(route.slice(route.lastIndexOf(':') + 1))];
    const upstream = connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    authorizations,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
