import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import net from 'node:net';
import { AppError } from '../shared/app-error.ts';

// Webhook URLs are chosen by operators (or anyone holding an admin token): without a guard they reach the IdP's
// own network (metadata services, MongoDB, admin ports). Every address a host resolves to is checked against
// the private, loopback, link-local and reserved ranges (RFC 6890), and the connection is made to the address
// that was checked (a custom `lookup`), so a DNS answer that changes between check and connect (rebinding)
// cannot slip through.

const BLOCKED_V4 = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const;
const BLOCKED_V6 = [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b::', 96], ['100::', 64]] as const;

const blockList = new net.BlockList();
for (const [address, prefix] of BLOCKED_V4) blockList.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of BLOCKED_V6) blockList.addSubnet(address, prefix, 'ipv6');

export function isBlockedAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blockList.check(mapped[1]!, 'ipv4');
  const family = net.isIP(address);
  if (family === 0) return true;
  return blockList.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export const targetRefused = (reason: string) => new AppError('webhook.target_refused', 400, { cause: reason });

/** One line for the delivery log. */
export const describeError = (error: unknown) =>
  error instanceof AppError ? `${error.code}: ${String(error.cause ?? '')}` : String((error as Error)?.message ?? error);

/** A `lookup` for http.request that refuses blocked addresses (unless private targets are allowed). */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      const refused = list.find((entry) => !allowPrivate && isBlockedAddress(entry.address));
      if (refused || list.length === 0) return callback(targetRefused(`${hostname} resolves to ${refused?.address ?? 'nothing'}`) as unknown as NodeJS.ErrnoException, '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** Checks a subscription URL when it is added (and again at every delivery through guardedLookup). */
export async function checkTarget(url: string, allowPrivate: boolean): Promise<void> {
  let parsed: URL;
  try { parsed = new URL(url); } catch { throw targetRefused('not a URL'); }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw targetRefused('only http and https');
  if (parsed.username || parsed.password) throw targetRefused('no credentials in the URL');
  if (allowPrivate) return;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) {
    if (isBlockedAddress(host)) throw targetRefused(`${host} is a private, loopback or reserved address`);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    guardedLookup(false)(host, { all: true }, (error) => (error ? reject(error) : resolve()));
  });
}
