import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// SAML metadata fetched from a URL an administrator typed: https only, never to loopback, private or link-local
// addresses (the console must not become a way into the internal network), 1 MiB at most, 10 s at most.

const MAX_BYTES = 1024 * 1024;
const internal = new BlockList();
for (const [network, prefix] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['127.0.0.0', 8], ['169.254.0.0', 16], ['0.0.0.0', 8], ['100.64.0.0', 10]] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['::1', 128], ['fc00::', 7], ['fe80::', 10], ['::', 128]] as const) internal.addSubnet(network, prefix, 'ipv6');

export class MetadataFetchError extends Error {
  override name = 'MetadataFetchError';
}

export async function fetchMetadata(url: string, options: { allowPrivate?: boolean } = {}): Promise<string> {
  const parsed = URL.parse(url);
  if (!parsed || parsed.protocol !== 'https:') throw new MetadataFetchError('console.saml.url_https');
  if (!options.allowPrivate) {
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true }).catch(() => []);
    if (!addresses.length) throw new MetadataFetchError('console.saml.url_unreachable');
    if (addresses.some((a) => internal.check(a.address, a.family === 6 ? 'ipv6' : 'ipv4'))) throw new MetadataFetchError('console.saml.url_internal');
  }
  const response = await fetch(parsed, { redirect: 'error', signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  if (!response?.ok) throw new MetadataFetchError('console.saml.url_unreachable');
  const body = await response.text();
  if (body.length > MAX_BYTES) throw new MetadataFetchError('console.saml.url_too_large');
  return body;
}
