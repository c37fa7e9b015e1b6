import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { managementClient } from '../helpers/admin-api.ts';
import { cliEnvFor, runIdp } from '../helpers/cli.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// Incremental export of profiles with consent state: each run returns a watermark, and the next run from it
// returns exactly the accounts changed since; CSV survives Japanese text, commas, quotes and line breaks.

const SYSTEM = { type: 'system' as const, id: 'test' };
const password = 'a long enough password';

describe('user export', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ label: 'export', overrides: { export: { settleSeconds: 0 }, events: { enabled: false } } });
  });
  afterAll(async () => { await app?.stop(); });

  const ndjson = (text: string) => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20)); // updatedAt is in milliseconds

  test('--since returns exactly the accounts changed after the previous run, with consent state', async () => {
    const { legal } = app.container.profile;
    await legal.addVersion({
      documentId: 'marketing', kind: 'marketing', version: '3', effectiveAt: new Date(Date.now() - 1000), requiresReacceptance: true,
      content: { ja: { title: 'お知らせ', url: 'https://example.jp/m' }, en: { title: 'News', url: 'https://example.com/m' } },
    });
    await legal.publish('marketing', '3');
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await app.container.accounts.createByAdmin({ email: `export.${i}@example.jp`, password, verified: true }))._id);
    await settle();
    const run = async (since?: string) => {
      const result = await app.container.exports.users({ format: 'ndjson', since });
      const chunks: Buffer[] = [];
      for await (const chunk of result.stream) chunks.push(Buffer.from(chunk));
      return { rows: ndjson(Buffer.concat(chunks).toString('utf8')), watermark: result.watermark };
    };
    const full = await run();
    expect(full.rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(full.rows[0]).not.toHaveProperty('passwordHash');

    await settle();
    await app.container.users.update(ids[1]!, { attributes: { given_name: '花子' } }, SYSTEM);
    await app.container.models.ConsentRecord.create({
      _id: 'rcpt-export-1', accountId: ids[3]!, documentId: 'marketing', version: '3', kind: 'marketing', decision: 'granted', at: new Date(), locale: 'ja', method: 'admin',
    });
    await app.container.users.update(ids[3]!, { attributes: { family_name: '山田' } }, SYSTEM);
    await settle();
    const second = await run(full.watermark);
    expect(second.rows.map((r) => r.id).sort()).toEqual([ids[1], ids[3]].sort());
    expect(second.rows.find((r) => r.id === ids[3])).toMatchObject({ family_name: '山田', 'consent.marketing': 'granted', 'consent.marketing.version': '3' });

    await settle();
    const third = await run(second.watermark);
    expect(third.rows).toEqual([]);
    await app.container.users.update(ids[4]!, { attributes: { nickname: 'x' } }, SYSTEM);
    await settle();
    expect((await run(third.watermark)).rows.map((r) => r.id)).toEqual([ids[4]]);
  });

  test('idp export users --format csv: Japanese text, commas, quotes and line breaks parse back', async () => {
    const tricky = '山田, "太郎"\n二行目\r\nです';
    const account = await app.container.accounts.createByAdmin({ email: 'csv@example.jp', password, verified: true });
    // The profile form refuses line breaks in a name; an import or a directory may still bring them: set directly.
    await app.container.models.Account.updateOne({ _id: account._id }, { $set: { 'profile.name': tricky, 'profile.given_name': '太郎' } });
    const env = { ...cliEnvFor(app, TEST_SECRETS), IDP_EXPORT_SETTLE_SECONDS: '0' };
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'idp-export-')), 'users.csv');
    const result = await runIdp(['export', 'users', '--format', 'csv', '--fields', 'id,email,name,given_name', '--out', out], env);
    expect(result.stderr).toBe('');
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ format: 'csv', watermark: expect.stringMatching(/^\d{4}-/), count: expect.any(Number) });
    const records = parse(readFileSync(out, 'utf8'), { columns: true, bom: true }) as Array<Record<string, string>>;
    expect(records.find((r) => r.id === account._id)).toEqual({ id: account._id, email: 'csv@example.jp', name: tricky, given_name: '太郎' });

    // To stdout: the data is stdout, the summary one JSON line on stderr; --since with its watermark gives nothing new.
    const again = await runIdp(['export', 'users', '--format', 'ndjson', '--since', summary.watermark], env);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('');
    expect(JSON.parse(again.stderr)).toMatchObject({ count: 0 });
  }, 120_000);

  test('the streamed admin API route needs a read token and answers CSV with the watermark header', async () => {
    const unauthenticated = await fetch(`${app.issuer}/admin/api/v1/exports/users?format=csv`);
    expect(unauthenticated.status).toBe(401);
    const reader = await managementClient(app, 'idp:admin:read');
    const response = await fetch(`${app.issuer}/admin/api/v1/exports/users?format=csv&fields=id,email`, { headers: { authorization: `Bearer ${await reader.token()}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('x-export-watermark')).toMatch(/^\d{4}-/);
    const records = parse(await response.text(), { columns: true, bom: true }) as Array<Record<string, string>>;
    expect(records.map((r) => r.email)).toContain('csv@example.jp');
    const bad = await fetch(`${app.issuer}/admin/api/v1/exports/users?since=yesterday`, { headers: { authorization: `Bearer ${await reader.token()}` } });
    expect(bad.status).toBe(400);
  });
});
