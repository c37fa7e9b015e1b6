import { BlockList, isIP } from 'node:net';
import type { Context, Next } from 'koa';

// Who the client is. X-Forwarded-For is a list anyone can start: only the entries appended by proxies we trust
// say anything. So the list is read from the right (the hop nearest to us first), skipping our own proxies;
// the first address that is not one of them is the client. A request whose socket peer is not a trusted proxy
// has its X-Forwarded-* headers ignored altogether: its socket address is the client and its scheme is the
// socket's (koa reads X-Forwarded-Proto/Host, and the engine's cookies rely on ctx.secure).

export const FORWARDED_HEADERS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'] as const;

export interface ProxyTrust {
  /** True when at least one proxy is trusted. */
  readonly any: boolean;
  trusts(address: string): boolean;
}

/** "10.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32". */
export function isIpOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

export function createProxyTrust(entries: readonly string[]): ProxyTrust {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return {
    any: entries.length > 0,
    // BlockList also matches IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) against IPv4 rules.
    trusts: (address) => entries.length > 0 && isIP(address) !== 0 && list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4'),
  };
}

/** ::ffff:192.0.2.1 -> 192.0.2.1, so one client has one rate-limit key whatever the socket family. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** One X-Forwarded-For entry as an address: "[2001:db8::1]:443" and "192.0.2.1:5678" lose their port. */
function entryAddress(raw: string): string | undefined {
  let entry = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) entry = bracketed[1]!;
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(entry)) entry = entry.slice(0, entry.lastIndexOf(':'));
  return isIP(entry) ? normalizeAddress(entry) : undefined;
}

/**
 * The client address for a request whose socket peer is `peer`. Walks X-Forwarded-For from the right while the
 * hop is a trusted proxy; the first untrusted hop is the client. When every hop is trusted the leftmost one is the
 * client; an entry that is no address stops the walk at the trusted proxy that wrote it.
 */
export function resolveClientIp(peer: string, forwardedFor: string | undefined, trust: ProxyTrust): string {
  let client = normalizeAddress(peer);
  if (!trust.trusts(client) || !forwardedFor) return client;
  const hops = forwardedFor.split(',').reverse();
  for (const hop of hops) {
    const address = entryAddress(hop);
    if (!address) return client;
    client = address;
    if (!trust.trusts(address)) return client;
  }
  return client;
}

/**
 * First middleware: fixes ctx.ip, and removes the forwarded headers (and any header only a proxy may set, such
 * as a geo-location header) from requests that did not come through a trusted proxy.
 */
export function forwardedFrom(trust: ProxyTrust, proxyOnlyHeaders: readonly string[] = []) {
  const strip = [...FORWARDED_HEADERS, ...proxyOnlyHeaders.map((name) => name.toLowerCase())];
  return async (ctx: Context, next: Next) => {
    const peer = ctx.req.socket.remoteAddress ?? '';
    if (trust.trusts(peer)) {
      ctx.request.ip = resolveClientIp(peer, ctx.get('x-forwarded-for') || undefined, trust);
    } else {
      for (const name of strip) delete ctx.req.headers[name];
      ctx.request.ip = normalizeAddress(peer);
    }
    await next();
  };
}
