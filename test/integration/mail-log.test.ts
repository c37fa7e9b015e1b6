import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { linkTo } from '../helpers/account-flows.ts';
import { Browser } from '../helpers/browser.ts';
import { ROOT } from '../helpers/cli.ts';
import { authorizationRequest, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startWithUserAndRp } from '../helpers/scenario.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { ConfigError, loadConfig } from '../../src/config/config.loader.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createI18n } from '../../src/i18n/i18n.ts';
import { createViews } from '../../src/http/views.ts';

// Without SMTP_URL mails go to the log. A reset link or a sign-in code there is a credential in every log store
// and to everyone who reads it, so the line names only the kind of mail and its recipient.

type LogLine = Record<string, unknown>;
const VIEWS_DIR = path.join(ROOT, 'views');

async function waitFor(lines: LogLine[], match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = lines.find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('no such log line in time');
}

function capture(): { stream: PassThrough; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  return { stream, lines };
}

describe('mails with SMTP_URL unset', () => {
  let app: TestApp;
  let rp: Rp;
  const log = capture();
  const user = { email: 'logged.reset@example.com', password: 'a passphrase for the log test' };

  beforeAll(async () => {
    ({ app, rp } = await startWithUserAndRp({ label: 'mail_log', logLevel: 'info', logStream: log.stream, user }));
  });
  afterAll(async () => app?.stop());

  test('the log line of a password-reset mail names kind and recipient, never the link', async () => {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const login = await browser.get((await authorizationRequest(rp)).url.toString());
    const forgot = await browser.get(linkTo(login, '/forgot'));
    expect((await browser.submit(forgot, { email: user.email })).status).toBe(200);

    const line = await waitFor(log.lines, (l) => l.event === 'mail.logged' && l.mail === 'password-reset');
    expect(line.to).toBe(user.email);
    const text = JSON.stringify(line);
    expect(text).not.toContain('/password/reset');
    expect(text).not.toContain('token=');
    expect(line).not.toHaveProperty('body');
    expect(line).not.toHaveProperty('subject');
    // Nothing else logged the link either.
    expect(JSON.stringify(log.lines)).not.toContain('/password/reset?token=');
  });

  test('the verification mail of a sign-up: no code, not even in the subject', async () => {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const login = await browser.get((await authorizationRequest(rp)).url.toString());
    const register = await browser.get(linkTo(login, '/register'));
    const email = 'logged.signup@example.com';
    expect((await browser.submit(register, { email, password: 'a sign-up passphrase', name: '' })).status).toBe(200);

    const line = await waitFor(log.lines, (l) => l.event === 'mail.logged' && l.mail === 'verify-email');
    expect(line.to).toBe(email);
    expect(JSON.stringify(line)).not.toMatch(/\b\d{6}\b|verify-email\?token=/);
  });
});

describe('mail.logBodies (development only)', () => {
  test('with the flag the body is logged, so a developer can follow the link', async () => {
    const { stream, lines } = capture();
    const mailer = createMailer({
      from: 'idp@example.com', logBodies: true, views: createViews(VIEWS_DIR), i18n: createI18n(VIEWS_DIR), logger: createLogger('info', stream),
    });
    await mailer.send('password-reset', 'dev@example.com', 'en', { link: 'http://127.0.0.1/password/reset?token=abc', minutes: 30 });
    mailer.close();
    const line = await waitFor(lines, (l) => l.event === 'mail.logged');
    expect(String(line.body)).toContain('/password/reset?token=abc');
  });

  test('is refused in production', () => {
    expect(() => loadConfig({ env: { ...productionEnv(), IDP_MAIL_LOG_BODIES: 'true' } })).toThrow(/mail\.logBodies: not allowed in production/);
  });
});

/** Everything production needs except SMTP_URL. */
function productionEnv(): Record<string, string> {
  return {
    NODE_ENV: 'production', ISSUER: 'https://id.example.jp', IDP_HTTP_TRUSTED_PROXIES: '10.0.0.0/8',
    IDP_SECRETS_COOKIE_KEYS: '["0123456789abcdef0123456789abcdef"]', IDP_SECRETS_KEY_ENCRYPTION_KEY: 'k'.repeat(40),
  };
}

describe('production without SMTP_URL', () => {
  test('the configuration is refused with a clear message, unless mail.allowLogOnly is set', () => {
    let error: unknown;
    try {
      loadConfig({ env: productionEnv() });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^mail\.smtpUrl: SMTP_URL is required in production.*IDP_MAIL_ALLOW_LOG_ONLY/)]);
    expect(loadConfig({ env: { ...productionEnv(), IDP_MAIL_ALLOW_LOG_ONLY: 'true' } }).mail.allowLogOnly).toBe(true);
    expect(loadConfig({ env: { ...productionEnv(), SMTP_URL: 'smtp://127.0.0.1:2525' } }).mail.smtpUrl).toBe('smtp://127.0.0.1:2525');
  });

  test('npm start exits 1 and says why, before touching any database', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'src', 'main.ts')], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...productionEnv(), MONGODB_URI: 'mongodb://127.0.0.1:9/none' },
      stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(1);
    expect(stderr).toContain('invalid configuration');
    expect(stderr).toContain('mail.smtpUrl: SMTP_URL is required in production');
  });
});
