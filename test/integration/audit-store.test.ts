import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { toAuditRecord } from '../../src/audit/audit-record.ts';
import { createAuditWriter } from '../../src/audit/audit-writer.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { Browser } from '../helpers/browser.ts';
import { cliEnvFor, runIdp } from '../helpers/cli.ts';
import { signIn, type Rp } from '../helpers/rp.ts';
import { startWithUserAndRp } from '../helpers/scenario.ts';
import { TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// The audit trail in MongoDB: events from the hosted pages and from operator commands, queryable by account, type
// and time, expiring by TTL, and never in the way of a sign-in.

const password = 'correct horse battery staple';

const cliEnv = (app: TestApp) => cliEnvFor(app, TEST_SECRETS);

/** Waits (bounded) until `check` holds. */
async function eventually(check: () => Promise<boolean>, seconds: number): Promise<boolean> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

describe('audit events stored in MongoDB', () => {
  let app: TestApp;
  let rp: Rp;
  let accountId: string;
  const started = new Date();

  beforeAll(async () => {
    ({ app, rp, accountId } = await startWithUserAndRp({ label: 'audit', user: { email: 'audited@example.jp', password, name: 'Audited' } }));
  });
  afterAll(async () => app?.stop());

  test('a failed and a successful sign-in are queryable by account and time, with the request\'s IP and user agent', async () => {
    const failed = await signIn(new Browser(), rp, { email: 'audited@example.jp', password: 'wrong password here' }).catch(() => undefined);
    expect(failed).toBeUndefined();
    await signIn(new Browser(), rp, { email: 'audited@example.jp', password });
    await app.container.auditTrail.flush();

    const page = await app.container.auditTrail.query.list({ accountId, since: started });
    const types = page.items.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['login.failed', 'login.succeeded']));
    const failure = page.items.find((e) => e.type === 'login.failed')!;
    expect(failure).toMatchObject({ outcome: 'failure', accountId, reason: 'password', ip: '127.0.0.1' });
    expect(failure.userAgent).toBeTruthy();
    expect(failure.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const success = page.items.find((e) => e.type === 'login.succeeded')!;
    expect(success).toMatchObject({ outcome: 'success', client: rp.clientId, actor: { type: 'user', id: accountId } });
    // Newest first, and nothing from before the time range.
    expect(page.items.map((e) => e.at.getTime())).toEqual([...page.items.map((e) => e.at.getTime())].sort((a, b) => b - a));
    expect(await app.container.auditTrail.query.list({ accountId, until: started })).toEqual({ items: [] });
    // Only this account's events.
    expect(page.items.every((e) => e.accountId === accountId)).toBe(true);
  });

  test('pages follow the cursor without gaps or repeats', async () => {
    const all = await app.container.auditTrail.query.list({ since: started, limit: 500 });
    expect(all.items.length).toBeGreaterThan(3);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 100; i += 1) {
      const page = await app.container.auditTrail.query.list({ since: started, limit: 2, cursor });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(all.items.map((e) => e.id));
  });

  test('an operator command is audited with the command and the acting operator, and readable with idp audit list', async () => {
    const env = cliEnv(app);
    const added = await runIdp(['clients', 'add', '--json', JSON.stringify({ redirect_uris: ['https://rp.example/cb'] })], env);
    expect(added.status).toBe(0);
    const listed = await runIdp(['audit', 'list', '--type', 'admin.*', '--since', started.toISOString()], env);
    expect(listed.stderr).toBe('');
    const page = JSON.parse(listed.stdout) as { items: Array<{ type: string; actor: { type: string }; data: { command: string } }> };
    expect(page.items[0]).toMatchObject({ type: 'admin.command.succeeded', actor: { type: 'cli' }, data: { command: 'clients add' } });
    const bad = await runIdp(['audit', 'list', '--since', 'yesterday'], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^idp: --since must be an ISO 8601 date/);
  });

  test('events expire after the retention period (TTL index on expiresAt)', async () => {
    const model = app.container.models.AuditEvent;
    const old = toAuditRecord('test.expired', { accountId: 'gone' }, undefined, 90, new Date(Date.now() - 91 * 24 * 3600 * 1000));
    await model.collection.insertOne(old);
    const fresh = toAuditRecord('test.kept', { accountId: 'kept' }, undefined, 90);
    await model.collection.insertOne(fresh);
    const indexes = await model.collection.indexes();
    expect(indexes.find((index) => index.key.expiresAt === 1)?.expireAfterSeconds).toBe(0);
    expect(await model.collection.countDocuments({ _id: old._id })).toBe(1);
    // The TTL monitor runs every 60 s by default; make it run every second for this check.
    await app.container.connection.db!.admin().command({ setParameter: 1, ttlMonitorSleepSecs: 1 });
    try {
      expect(await eventually(async () => (await model.collection.countDocuments({ _id: old._id })) === 0, 45)).toBe(true);
      expect(await model.collection.countDocuments({ _id: fresh._id })).toBe(1);
    } finally {
      await app.container.connection.db!.admin().command({ setParameter: 1, ttlMonitorSleepSecs: 60 });
    }
  });

  test('secrets named in audit fields are not stored', () => {
    const record = toAuditRecord('test.secret', { accountId: 'a', password: 'x', code: '123456', nested: { client_secret: 's', ok: 1 } }, undefined, 90);
    expect(JSON.stringify(record)).not.toMatch(/123456|"x"|"s"/);
    expect(record.data).toEqual({ nested: { ok: 1 } });
  });

  test('a full queue drops and counts events instead of waiting', async () => {
    const writer = createAuditWriter(app.container.models.AuditEvent, { queueLimit: 2, batchSize: 100, flushMs: 60_000 }, createLogger('silent'));
    for (let i = 0; i < 5; i += 1) writer.write(toAuditRecord('test.queued', { n: i }, undefined, 90));
    expect(writer.stats()).toMatchObject({ queued: 2, dropped: 3 });
    await writer.stop();
    expect(writer.stats()).toMatchObject({ queued: 0, written: 2, dropped: 3 });
  });

  test('a failing audit store does not make a sign-in fail', async () => {
    const db = app.container.connection.db!;
    // Every insert into audit_events now fails document validation.
    await db.command({ collMod: 'audit_events', validator: { $jsonSchema: { required: ['never_present'] } }, validationAction: 'error' });
    try {
      const before = app.container.auditTrail.stats().failedBatches;
      const { tokens } = await signIn(new Browser(), rp, { email: 'audited@example.jp', password });
      expect(tokens.claims()?.sub).toBe(accountId);
      await app.container.auditTrail.flush();
      expect(app.container.auditTrail.stats().failedBatches).toBeGreaterThan(before);
    } finally {
      await db.command({ collMod: 'audit_events', validator: {}, validationLevel: 'off' });
    }
  });
});
