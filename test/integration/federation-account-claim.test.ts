import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { Browser, type Page } from '../helpers/browser.ts';
import { codeFrom, errorText } from '../helpers/account-flows.ts';
import { enrolTotp } from '../helpers/mfa.ts';
import { authorizationRequest, client, exchangeCode, registerRp, RP_REDIRECT, signIn, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox, type ReceivedMail } from '../helpers/smtp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { startOidcUpstream, type OidcUpstream } from '../helpers/upstream/oidc-upstream.ts';

// Pre-account hijack through linking: someone registers the victim's address with a password of their choosing
// and never verifies it. When the victim later signs in through an upstream IdP and proves the mailbox with the
// mailed code, the account becomes the victim's: the attacker's password, sessions, grants, factors, remembered
// devices and linked services must be gone, and the page must say so. `open` lets unverified accounts sign in
// (requireVerifiedEmail: false), so the attacker holds real sessions and tokens; `strict` is the default setting.

describe('federation: claiming an account whose address was never verified', () => {
  let open: TestApp;
  let strict: TestApp;
  let mailbox: Mailbox;
  let upstream: OidcUpstream;
  let openRp: Rp;
  let strictRp: Rp;
  const logs: Array<Record<string, unknown>> = [];
  const callbacks = (app: TestApp) => ['up', 'side'].map((id) => `${app.issuer}/federation/${id}/callback`);

  beforeAll(async () => {
    mailbox = await startMailbox();
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
        done();
      },
    });
    const mail = { mail: { smtpUrl: mailbox.url } };
    open = await startTestApp({ label: 'fed_claim_open', logLevel: 'info', logStream, overrides: { ...mail, accounts: { requireVerifiedEmail: false } } });
    strict = await startTestApp({ label: 'fed_claim_strict', overrides: mail });
    upstream = await startOidcUpstream({
      name: 'claimup', clientId: 'idp', clientSecret: 'claim-upstream-secret-0123', redirectUris: [...callbacks(open), ...callbacks(strict)],
    });
    for (const app of [open, strict]) {
      for (const id of ['up', 'side']) {
        await app.container.federation.connectors.add({ id, name: id, issuer: upstream.issuer, client_id: 'idp', client_secret: 'claim-upstream-secret-0123' });
      }
    }
    [openRp, strictRp] = await Promise.all([registerRp(open), registerRp(strict)]);
  });
  afterAll(async () => {
    await open?.stop();
    await strict?.stop();
    await upstream?.close();
    await mailbox?.close();
  });

  /** The next mail to `to` whose subject matches (the attacker's sign-up also mails the victim's address). */
  async function nextMail(to: string, subject: RegExp): Promise<ReceivedMail> {
    for (let i = 0; i < 400; i += 1) {
      const mail = mailbox.mails.find((m) => m.to.includes(to) && subject.test(m.subject) && !seen.has(m));
      if (mail) {
        seen.add(mail);
        return mail;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no mail "${subject}" to ${to}`);
  }
  const seen = new Set<ReceivedMail>();

  /** RP -> our sign-in page -> the connector's button -> the upstream's form, signed in there as `login`. */
  async function viaUpstream(app: TestApp, rp: Rp, connector: string, login: string) {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp);
    const signInPage = await browser.get(request.url.toString());
    const href = signInPage.html.querySelector(`[data-connector="${connector}"]`)?.getAttribute('href');
    if (!href) throw new Error(`no ${connector} button at ${app.issuer}:\n${signInPage.body.slice(0, 600)}`);
    const page = await browser.submit(await browser.get(new URL(href, signInPage.url).toString()), { login });
    return { browser, request, page };
  }

  /** What the login form answers to `email` + `password` in a fresh browser. */
  async function passwordLogin(rp: Rp, email: string, password: string): Promise<Page> {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const login = await browser.get((await authorizationRequest(rp)).url.toString());
    return browser.submit(login, { email, password });
  }

  /** The attacker: signs up with the victim's address and a password, never verifies, and (open) sets up a foothold. */
  async function attackerFoothold(app: TestApp, email: string) {
    await app.container.accounts.register({ email, password: 'attacker password 1' }, { ip: '127.0.0.1', locale: 'en' });
    const account = (await app.container.accountRepository.findByEmail(email))!;
    expect(account.emailVerified).toBe(false);
    const browser = new Browser();
    const { tokens } = await signIn(browser, openRp, { email, password: 'attacker password 1' });
    await enrolTotp(app, account._id);
    await app.container.mfa.devices.remember('A'.repeat(43), account._id, 30);
    // The attacker's own upstream identity, linked while the account was theirs (as /account/identities does).
    const upstreamLogin = `attacker-of-${email}`;
    upstream.users[upstreamLogin] = { email: `${upstreamLogin.replace('@', '.')}@evil.example`, email_verified: true };
    await app.container.federation.linking.link(account._id, 'side', { subject: upstreamLogin, emailVerified: true, claims: {} }, 'signed_in');
    return { account, browser, tokens, upstreamLogin };
  }

  async function expectAttackerLockedOut(app: TestApp, rp: Rp, email: string, foothold: Awaited<ReturnType<typeof attackerFoothold>>) {
    const accountId = foothold.account._id;
    // The password set at sign-up is gone: the form answers exactly as to a wrong password.
    const withOld = await passwordLogin(rp, email, 'attacker password 1');
    const wrong = await passwordLogin(rp, email, 'not the password at all');
    expect(withOld.status).toBe(400);
    expect(withOld.url.startsWith(RP_REDIRECT)).toBe(false);
    expect(errorText(withOld)).toBe(errorText(wrong));
    expect((await app.container.accountRepository.findById(accountId))!.passwordHash).toBeUndefined();
    // The attacker's browser session ended: the RP's next request asks to sign in again.
    foothold.browser.stopAt = [RP_REDIRECT];
    const again = await foothold.browser.get((await authorizationRequest(rp)).url.toString());
    expect(again.url.startsWith(RP_REDIRECT)).toBe(false);
    expect(again.html.querySelector('input[name=password]')).not.toBeNull();
    // The grant and its tokens were revoked.
    await expect(client.fetchUserInfo(rp.config, foothold.tokens.access_token, client.skipSubjectCheck)).rejects.toThrow();
    // Factors, remembered devices and the attacker's upstream identity are gone; the victim's identity stays.
    expect(await app.container.mfa.records.list(accountId)).toEqual([]);
    expect(await app.container.mfa.devices.listRemembered(accountId)).toEqual([]);
    expect((await app.container.federation.linking.identitiesOf(accountId)).map((i) => i.connectorId)).toEqual(['up']);
    const attackerUpstream = await viaUpstream(app, rp, 'side', foothold.upstreamLogin);
    expect((await exchangeCode(rp, attackerUpstream.request, attackerUpstream.page)).claims()!.sub).not.toBe(accountId);
  }

  /** The claimed page: it says what was removed, and "continue" finishes the sign-in into the same account. */
  async function continueFromClaimed(browser: Browser, page: Page) {
    const notice = page.html.querySelector('[data-account-claimed]');
    expect(notice).not.toBeNull();
    const text = notice!.text.replace(/\s+/g, ' ');
    for (const removed of ['the password', 'every signed-in session', 'two-step verification', 'remembered devices', 'linked sign-in services']) {
      expect(text).toContain(removed);
    }
    return browser.submit(page, {});
  }

  test('a verified upstream email, proven by the mailed code: the attacker loses password, sessions, grants, factors, devices and links', async () => {
    const email = 'victim@claim.example';
    const foothold = await attackerFoothold(open, email);
    upstream.users.victim = { email, email_verified: true, name: 'Victim' };
    const { browser, request, page } = await viaUpstream(open, openRp, 'up', 'victim');
    // Before the choice, the page says what confirming by code does to an account whose address was never confirmed.
    expect(page.html.querySelector('[data-unverified-account]')).not.toBeNull();
    const codePage = await browser.submit(page, {}, 'form.federation-code-form');
    const claimed = await browser.submit(codePage, { code: codeFrom(await nextMail(email, /confirmation code/)) });
    const done = await continueFromClaimed(browser, claimed);
    const claims = (await exchangeCode(openRp, request, done)).claims()!;
    expect(claims).toMatchObject({ sub: foothold.account._id, amr: ['fed', 'otp'] });
    expect((await open.container.accountRepository.findById(claims.sub))!.emailVerified).toBe(true);

    await expectAttackerLockedOut(open, openRp, email, foothold);
    const event = logs.find((line) => line.event === 'account.claimed' && line.accountId === foothold.account._id);
    expect(event).toMatchObject({ connectorId: 'up', removed: ['password', 'sessions', 'grants', 'factors', 'devices', 'identities'] });
    expect(JSON.stringify(logs)).not.toContain('attacker password 1');
  });

  test('an upstream without a verified email ("awaiting email"): the address confirmed by code claims the account the same way', async () => {
    const email = 'victim2@claim.example';
    const foothold = await attackerFoothold(open, email);
    upstream.users.victim2 = { name: 'Victim Two' }; // no email at all: we ask for one and mail a code
    const { browser, request, page } = await viaUpstream(open, openRp, 'up', 'victim2');
    expect(page.html.querySelector('input[name=email]')).not.toBeNull();
    const codePage = await browser.submit(page, { email });
    const claimed = await browser.submit(codePage, { code: codeFrom(await nextMail(email, /confirmation code/)) });
    const done = await continueFromClaimed(browser, claimed);
    expect((await exchangeCode(openRp, request, done)).claims()).toMatchObject({ sub: foothold.account._id, amr: ['fed', 'otp'] });
    await expectAttackerLockedOut(open, openRp, email, foothold);
  });

  test('default setting: the attacker\'s password login waiting for its email code is not finished by the victim\'s proof', async () => {
    const email = 'victim3@claim.example';
    await strict.container.accounts.register({ email, password: 'attacker password 3' }, { ip: '127.0.0.1', locale: 'en' });
    const accountId = (await strict.container.accountRepository.findByEmail(email))!._id;
    // The attacker signs in with the password and waits on the "enter the code" page.
    const attacker = new Browser();
    attacker.stopAt = [RP_REDIRECT];
    const attackerLogin = await attacker.get((await authorizationRequest(strictRp)).url.toString());
    const waiting = await attacker.submit(attackerLogin, { email, password: 'attacker password 3' });
    expect(waiting.html.querySelector('input[name=code]') ? '' : waiting.body).toBe('');

    upstream.users.victim3 = { email, email_verified: true };
    const { browser, request, page } = await viaUpstream(strict, strictRp, 'up', 'victim3');
    const codePage = await browser.submit(page, {}, 'form.federation-code-form');
    const claimed = await browser.submit(codePage, { code: codeFrom(await nextMail(email, /confirmation code/)) });
    expect(claimed.html.querySelector('[data-account-claimed]')?.text).toContain('the password');
    const done = await browser.submit(claimed, {});
    expect((await exchangeCode(strictRp, request, done)).claims()!.sub).toBe(accountId);

    // The address is verified now, but not by the attacker: their waiting sign-in must not finish.
    const finished = await attacker.submit(waiting, { code: '000000' });
    expect(finished.url.startsWith(RP_REDIRECT)).toBe(false);
    expect(finished.status).toBe(400);
    const withOld = await passwordLogin(strictRp, email, 'attacker password 3');
    expect(withOld.status).toBe(400);
    expect(withOld.url.startsWith(RP_REDIRECT)).toBe(false);
  });
});
