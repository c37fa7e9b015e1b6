import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { EVENT_TYPES, matchesFilter } from '../../src/events/event-catalogue.ts';
import { deriveEvents, type StreamChange } from '../../src/events/event-derivation.ts';
import { EVENT_SCHEMA_DIR, eventJsonSchemas, schemaFileText } from '../../src/events/event-schemas.ts';
import { isBlockedAddress } from '../../src/webhooks/ssrf-guard.ts';
import { backoffMs } from '../../src/webhooks/webhook-dispatcher.ts';
import { generateSecret, signedHeaders } from '../../src/webhooks/webhook-signature.ts';

const change = (coll: string, operationType: string, extra: Partial<StreamChange> = {}): StreamChange => ({
  _id: { _data: `826${coll}${operationType}` }, operationType, ns: { coll }, documentKey: { _id: 'acc-1' }, wallTime: new Date(0), ...extra,
});

describe('event derivation', () => {
  test('an account update names the changed attributes, never values, and never the password hash field', () => {
    const [event] = deriveEvents(change('accounts', 'update', {
      updateDescription: { updatedFields: { passwordHash: '$argon2id$secret', 'profile.given_name': '花子', updatedAt: new Date() }, removedFields: ['profile.nickname'] },
    }));
    expect(event).toMatchObject({ type: 'user.updated', data: { accountId: 'acc-1', changed: ['password', 'profile.given_name', 'profile.nickname'] } });
    expect(JSON.stringify(event)).not.toContain('argon2');
    expect(JSON.stringify(event)).not.toContain('花子');
  });

  test('a whole profile set at once names its attributes; bookkeeping alone is no event', () => {
    expect(deriveEvents(change('accounts', 'update', { updateDescription: { updatedFields: { profile: { name: 'a', address: { postal_code: '1' } } } } }))[0]!.data)
      .toEqual({ accountId: 'acc-1', changed: ['profile.address.postal_code', 'profile.name'] });
    expect(deriveEvents(change('accounts', 'update', { updateDescription: { updatedFields: { lastLoginAt: new Date(), updatedAt: new Date(), 'profiling.signIns': 3 } } }))).toEqual([]);
  });

  test('blocking and proving the email are their own events', () => {
    const events = deriveEvents(change('accounts', 'update', { updateDescription: { updatedFields: { status: 'blocked', emailVerified: true, 'profile.name': 'x' } } }));
    expect(events.map((e) => e.type)).toEqual(['user.blocked', 'user.email_verified', 'user.updated']);
    expect(new Set(events.map((e) => e._id)).size).toBe(3);
  });

  test('the same change always gives the same event ids (re-derivation after a crash)', () => {
    const c = change('consent_records', 'insert', { documentKey: { _id: 'r1' }, fullDocument: { accountId: 'a', documentId: 'marketing', version: '2', kind: 'marketing', decision: 'withdrawn', method: 'account_page' } });
    expect(deriveEvents(c)).toEqual(deriveEvents(structuredClone(c)));
    expect(deriveEvents(c)[0]).toMatchObject({ type: 'consent.withdrawn', data: { accountId: 'a', documentId: 'marketing', version: '2', receiptId: 'r1' } });
  });

  test('deletes need only the document key; client, SP and grant changes map to their events', () => {
    expect(deriveEvents(change('oidc_grant', 'delete', { documentKey: { _id: 'g1' } }))[0]).toMatchObject({ type: 'grant.revoked', data: { grantId: 'g1' } });
    expect(deriveEvents(change('oidc_grant', 'insert'))).toEqual([]);
    expect(deriveEvents(change('oidc_client', 'replace', { documentKey: { _id: 'c1' }, fullDocument: { payload: { client_name: 'Shop', client_secret: 's3cret' } } }))[0])
      .toMatchObject({ type: 'client.updated', data: { clientId: 'c1', clientName: 'Shop' } });
    expect(JSON.stringify(deriveEvents(change('oidc_client', 'insert', { fullDocument: { payload: { client_secret: 's3cret' } } })))).not.toContain('s3cret');
    expect(deriveEvents(change('saml_sps', 'delete', { documentKey: { _id: 'https://sp' } }))[0]).toMatchObject({ type: 'saml_sp.deleted', data: { entityId: 'https://sp' } });
    expect(deriveEvents(change('audit_events', 'insert', { fullDocument: { type: 'login.failed', accountId: 'a' } }))[0]!.type).toBe('login.failed');
    expect(deriveEvents(change('audit_events', 'insert', { fullDocument: { type: 'csrf.refused' } }))).toEqual([]);
  });

  test('filters: exact types, noun.* and *', () => {
    expect(matchesFilter(['user.*'], 'user.updated')).toBe(true);
    expect(matchesFilter(['user.*'], 'users.updated')).toBe(false);
    expect(matchesFilter(['consent.withdrawn'], 'consent.granted')).toBe(false);
    expect(matchesFilter(['*'], 'saml_sp.created')).toBe(true);
  });
});

describe('event catalogue as JSON Schemas', () => {
  test('docs/events holds exactly the generated schemas (regenerate: node src/events/event-schemas.ts)', () => {
    const generated = eventJsonSchemas();
    expect(readdirSync(EVENT_SCHEMA_DIR).filter((f) => f.endsWith('.json')).sort()).toEqual(EVENT_TYPES.map((t) => `${t}.json`).sort());
    for (const [type, schema] of Object.entries(generated)) {
      expect(readFileSync(path.join(EVENT_SCHEMA_DIR, `${type}.json`), 'utf8')).toBe(schemaFileText(schema));
    }
  });
});

describe('webhook signing and targets', () => {
  test('signatures verify with the reference standardwebhooks package, with either secret during a rotation', () => {
    const [current, previous] = [generateSecret(), generateSecret()];
    const body = JSON.stringify({ type: 'user.updated', data: { accountId: 'a', changed: ['profile.name'] } });
    const headers = signedHeaders([current, previous], 'evt_1', body);
    expect(new Webhook(current).verify(body, headers)).toMatchObject({ type: 'user.updated' });
    expect(new Webhook(previous).verify(body, headers)).toMatchObject({ type: 'user.updated' });
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(current).verify(`${body} `, headers)).toThrow();
  });

  test('loopback, private, link-local, CGNAT, mapped and reserved addresses are blocked; public ones are not', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.5.5', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip']) {
      expect([address, isBlockedAddress(address)]).toEqual([address, true]);
    }
    for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) expect([address, isBlockedAddress(address)]).toEqual([address, false]);
  });

  test('backoff doubles per attempt with jitter in [half, full], capped', () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffMs(30, 1000, 60_000, () => 1)).toBe(60_000);
  });
});
