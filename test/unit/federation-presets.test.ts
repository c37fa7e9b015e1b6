import { describe, expect, test } from '@jest/globals';
import { generateKeyPairSync, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mapProfile } from '../../src/federation/claim-mapping.ts';
import type { ConnectorRecord } from '../../src/federation/connector.ts';
import { PRESETS } from '../../src/federation/presets.ts';
import { appleClientSecret } from '../../src/federation/types/apple-client-secret.ts';
import { verifiedEmail } from '../../src/federation/types/oauth2.connector.ts';

// Each preset against a recorded discovery document or API endpoints and a recorded profile (no network):
// issuer, scopes and mapped claims must match what the provider publishes, and the mapping must give the
// expected NormalizedProfile, including whether the email counts as verified.

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/federation/${name}.json`, import.meta.url), 'utf8'));

describe('connector presets', () => {
  test.each(['google', 'apple', 'line', 'yahoo_japan', 'microsoft'])('%s (OpenID Connect)', (name) => {
    const preset = PRESETS[name]!;
    const { discovery, claims, expected } = fixture(name);
    expect(preset.type).toBe('oidc');
    expect(preset.issuer!({})).toBe(discovery.issuer);
    for (const scope of preset.scopes) expect(discovery.scopes_supported).toContain(scope);
    if (discovery.claims_supported) {
      for (const key of ['subject', 'email', 'email_verified'] as const) {
        const path = preset.mapping[key];
        if (typeof path === 'string') expect(discovery.claims_supported).toContain(path);
      }
    }
    if (preset.options?.responseMode) expect(discovery.response_modes_supported).toContain(preset.options.responseMode);
    if (preset.options?.tokenAuthMethod && discovery.token_endpoint_auth_methods_supported) {
      expect(discovery.token_endpoint_auth_methods_supported).toContain(preset.options.tokenAuthMethod);
    }
    expect(mapProfile(name, preset.mapping, claims)).toEqual({ connectorId: name, ...expected });
  });

  test.each(['facebook', 'github'])('%s (OAuth 2.0)', (name) => {
    const preset = PRESETS[name]!;
    const { endpoints, profile, emails, expected } = fixture(name);
    expect(preset.type).toBe('oauth2');
    expect(preset.endpoints).toEqual(endpoints);
    const document = emails ? { ...profile, ...verifiedEmail(emails) } : profile;
    expect(mapProfile(name, preset.mapping, document)).toEqual({ connectorId: name, ...expected });
  });

  test('GitHub without a verified address: the public email is kept but never counts as verified', () => {
    const { profile, emails } = fixture('github');
    const unverified = emails.map((e: object) => ({ ...e, verified: false }));
    expect(mapProfile('github', PRESETS.github!.mapping, { ...profile, ...verifiedEmail(unverified) }))
      .toMatchObject({ email: 'public@example.jp', emailVerified: false });
  });

  test('Microsoft takes a tenant; its default is personal accounts', () => {
    expect(PRESETS.microsoft!.issuer!({ tenant: 'contoso-tenant-id' })).toBe('https://login.microsoftonline.com/contoso-tenant-id/v2.0');
  });

  test('Apple client secret: an ES256 JWT with team, client and audience, verifiable with the key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const record = {
      id: 'apple', clientId: 'jp.example.signin',
      options: { teamId: 'TEAM123456', keyId: 'KEY1234567', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    } as unknown as ConnectorRecord;
    const jwt = appleClientSecret(record, 1_700_000_000);
    const [header, payload, signature] = jwt.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'ES256', kid: 'KEY1234567', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({
      iss: 'TEAM123456', sub: 'jp.example.signin', aud: 'https://appleid.apple.com', iat: 1_700_000_000, exp: 1_700_000_300,
    });
    const ok = verify('sha256', Buffer.from(`${header}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature!, 'base64url'));
    expect(ok).toBe(true);
  });

  test('odd values are dropped, not trusted', () => {
    const mapped = mapProfile('x', { subject: 'id', email: 'mail', email_verified: 'ok', name: 'name' }, {
      id: 1, mail: 'not an email', ok: 'yes', name: { first: 'x' },
    });
    expect(mapped).toEqual({ connectorId: 'x', subject: '1', email: undefined, emailVerified: false, claims: {} });
    expect(() => mapProfile('x', { subject: 'id' }, {})).toThrow('federation.no_subject');
  });
});
