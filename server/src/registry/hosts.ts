/** Host-name helpers shared by the transport, the auth flow and credential lookup. */

/** Splits `host[:port]` (IPv6 in brackets) into a lowercased host without brackets and a port. */
export function splitHostPort(hostPort: string): { host: string; port?: string } {
  const s = hostPort.trim().toLowerCase();
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return { host: s };
    const host = s.slice(1, close);
    const rest = s.slice(close + 1);
    return rest.startsWith(':') && rest.length > 1 ? { host, port: rest.slice(1) } : { host };
  }
  const colon = s.lastIndexOf(':');
  // More than one colon without brackets: a bare IPv6 address, no port.
  if (colon < 0 || s.indexOf(':') !== colon) return { host: s };
  return { host: s.slice(0, colon), port: s.slice(colon + 1) };
}

/**
 * True for hosts that never leave this machine: localhost (and *.localhost), 127.0.0.0/8 and
 * ::1. Decided from the name alone, before any DNS lookup.
 */
export function isLoopbackHost(hostOrHostPort: string): boolean {
  const { host } = splitHostPort(hostOrHostPort);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return host.split('.').every((p) => Number(p) <= 255);
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/** `host:port` of a URL as written in a reference (default ports left out), lowercased. */
export function urlHostPort(url: URL): string {
  return url.host.toLowerCase();
}

/** True when `hostPort` (host or host:port) is listed in `list` by host:port or by bare host. */
export function hostListed(hostPort: string, list: readonly string[] | undefined): boolean {
  if (!list || list.length === 0) return false;
  const target = splitHostPort(hostPort);
  return list.some((entry) => {
    const e = splitHostPort(entry.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, ''));
    return e.host === target.host && (e.port === undefined || e.port === target.port);
  });
}

/**
 * Does NO_PROXY exclude this host? Entries are comma/space separated: `*` (everything), a host,
 * a `.domain` or `*.domain` suffix, a bare domain (which also covers its subdomains), and an
 * optional `:port`.
 */
export function noProxyMatches(hostPort: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const target = splitHostPort(hostPort);
  for (const raw of noProxy.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const { host, port } = splitHostPort(entry.replace(/^\*\./, '.'));
    if (port !== undefined && port !== target.port) continue;
    const bare = host.startsWith('.') ? host.slice(1) : host;
    if (target.host === bare || target.host.endsWith(`.${bare}`)) return true;
  }
  return false;
}
