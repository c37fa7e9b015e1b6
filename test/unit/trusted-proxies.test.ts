import { describe, expect, test } from '@jest/globals';
import { createProxyTrust, forwardedFrom, isIpOrCidr, normalizeAddress, resolveClientIp } from '../../src/http/trusted-proxies.ts';
import { loadConfig } from '../../src/config/config.loader.ts';

// X-Forwarded-For is read from the right, and only as far as the hops are our own proxies.

describe('trusted proxies', () => {
  test('entries: IPv4, IPv6, CIDR of both; anything else is refused', () => {
    for (const ok of ['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '::1', '2001:db8::/32', 'fe80::1/128']) expect(isIpOrCidr(ok)).toBe(true);
    for (const bad of ['', 'localhost', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/8/1', '10.0.0.0/', '10.0.0.0/x', '10.0.0']) {
      expect(isIpOrCidr(bad)).toBe(false);
    }
  });

  test('matching: exact addresses, IPv4 and IPv6 ranges, IPv4-mapped IPv6 peers', () => {
    const trust = createProxyTrust(['127.0.0.1', '10.1.0.0/16', '2001:db8:1::/48', '::1']);
    expect(trust.trusts('127.0.0.1')).toBe(true);
    expect(trust.trusts('::ffff:127.0.0.1')).toBe(true);
    expect(trust.trusts('127.0.0.2')).toBe(false);
    expect(trust.trusts('10.1.255.3')).toBe(true);
    expect(trust.trusts('10.2.0.1')).toBe(false);
    expect(trust.trusts('2001:db8:1:ffff::7')).toBe(true);
    expect(trust.trusts('2001:db8:2::7')).toBe(false);
    expect(trust.trusts('::1')).toBe(true);
    expect(trust.trusts('not an address')).toBe(false);
    expect(createProxyTrust([]).trusts('127.0.0.1')).toBe(false);
  });

  test('an untrusted peer is the client whatever it claims', () => {
    const trust = createProxyTrust(['10.0.0.0/8']);
    expect(resolveClientIp('203.0.113.9', '198.51.100.1', trust)).toBe('203.0.113.9');
    expect(resolveClientIp('::ffff:203.0.113.9', '198.51.100.1', trust)).toBe('203.0.113.9');
    expect(resolveClientIp('127.0.0.1', '198.51.100.1', createProxyTrust([]))).toBe('127.0.0.1');
  });

  test('a chain is walked from the right past trusted hops; a forged left part is never reached', () => {
    const trust = createProxyTrust(['10.0.0.0/8', '2001:db8::/32']);
    // client forged "1.1.1.1"; the edge proxy 10.0.0.2 appended the real client 203.0.113.7; 10.0.0.3 forwarded to us.
    expect(resolveClientIp('10.0.0.3', '1.1.1.1, 203.0.113.7, 10.0.0.2', trust)).toBe('203.0.113.7');
    expect(resolveClientIp('10.0.0.3', '203.0.113.7', trust)).toBe('203.0.113.7');
    expect(resolveClientIp('2001:db8::3', '2001:db8:ffff::1, 2a00:1450::8, 2001:db8::2', createProxyTrust(['2001:db8::/48']))).toBe('2a00:1450::8');
    expect(resolveClientIp('2001:db8::3', '[2a00:1450::8]:443', trust)).toBe('2a00:1450::8');
    expect(resolveClientIp('10.0.0.3', '203.0.113.7:51234', trust)).toBe('203.0.113.7');
    expect(resolveClientIp('10.0.0.3', '::ffff:203.0.113.7', trust)).toBe('203.0.113.7');
    // Several X-Forwarded-For header lines arrive joined with ", " (Node.js): the same walk.
    expect(resolveClientIp('10.0.0.3', '198.51.100.4, 10.9.9.9', trust)).toBe('198.51.100.4');
  });

  test('all hops trusted: the leftmost; no header: the trusted peer itself; garbage stops at the proxy that wrote it', () => {
    const trust = createProxyTrust(['10.0.0.0/8']);
    expect(resolveClientIp('10.0.0.3', '10.0.0.1, 10.0.0.2', trust)).toBe('10.0.0.1');
    expect(resolveClientIp('10.0.0.3', undefined, trust)).toBe('10.0.0.3');
    expect(resolveClientIp('10.0.0.3', 'unknown', trust)).toBe('10.0.0.3');
    expect(resolveClientIp('10.0.0.3', '203.0.113.7, unknown, 10.0.0.2', trust)).toBe('10.0.0.2');
  });

  test('normalizeAddress folds IPv4-mapped IPv6 only', () => {
    expect(normalizeAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeAddress('::FFFF:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeAddress('2001:db8::1')).toBe('2001:db8::1');
  });

  test('middleware: an untrusted peer loses X-Forwarded-* and the proxy-only headers; a trusted one keeps them', async () => {
    const run = async (peer: string) => {
      const headers: Record<string, string> = {
        'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', 'x-geo-country': 'JP', accept: '*/*',
      };
      const ctx = { req: { socket: { remoteAddress: peer }, headers }, request: {} as { ip?: string }, get: (name: string) => headers[name] ?? '' };
      await forwardedFrom(createProxyTrust(['10.0.0.1']), ['X-Geo-Country'])(ctx as never, async () => undefined);
      return { ip: ctx.request.ip, headers: Object.keys(headers).sort() };
    };
    expect(await run('::ffff:203.0.113.5')).toEqual({ ip: '203.0.113.5', headers: ['accept'] });
    expect(await run('10.0.0.1')).toEqual({
      ip: '198.51.100.1', headers: ['accept', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-geo-country'],
    });
  });

  test('configuration: a list by file or environment (JSON, comma list, one address); bad entries named', () => {
    const base = { configDir: '/nonexistent', overrides: { secrets: { cookieKeys: ['c'.repeat(32)], keyEncryptionKey: 'k'.repeat(32) } } };
    const fromEnv = (value: string) => loadConfig({ ...base, env: { NODE_ENV: 'test', IDP_HTTP_TRUSTED_PROXIES: value } }).http.trustedProxies;
    expect(fromEnv('["10.0.0.0/8", "::1"]')).toEqual(['10.0.0.0/8', '::1']);
    expect(fromEnv('10.0.0.0/8, 2001:db8::/32')).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    expect(fromEnv('::1')).toEqual(['::1']);
    expect(loadConfig({ ...base, env: { NODE_ENV: 'test' } }).http.trustedProxies).toEqual([]);
    expect(() => fromEnv('10.0.0.0/8,proxy.local')).toThrow(/http\.trustedProxies\.1: not an IP address or CIDR.*IDP_HTTP_TRUSTED_PROXIES/);
  });

  test('proxy: true without naming the proxies is a configuration error, not trust in everyone', () => {
    const base = { configDir: '/nonexistent', overrides: { secrets: { cookieKeys: ['c'.repeat(32)], keyEncryptionKey: 'k'.repeat(32) } } };
    expect(() => loadConfig({ ...base, env: { NODE_ENV: 'test', IDP_PROXY: 'true' } })).toThrow(/http\.trustedProxies: required when proxy is true/);
    expect(loadConfig({ ...base, env: { NODE_ENV: 'test', IDP_PROXY: 'true', IDP_HTTP_TRUSTED_PROXIES: '127.0.0.1' } }).proxy).toBe(true);
  });
});
