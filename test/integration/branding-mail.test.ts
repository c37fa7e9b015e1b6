import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'node-html-parser';
import { Browser } from '../helpers/browser.ts';
import { authorizationRequest, registerRp, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Mails sent from a site's sign-in pages (sign-up verification, password reset) carry that site's name in the
// mail's language, its logo, colours and links; a mail for an unbranded request keeps the plain message.

describe('branded mails', () => {
  let app: TestApp;
  let mailbox: Mailbox;
  let branded: Rp;
  let plain: Rp;

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({ label: 'branding_mail', overrides: { mail: { smtpUrl: mailbox.url } } });
    branded = await registerRp(app, {
      client_name: 'Sakura Books', 'client_name#ja': 'さくら書店', logo_uri: 'https://books.example/logo.png',
      branding_primary_color: '#c2410c', branding_background_color: '#fff7ed', support_uri: 'https://books.example/help',
    });
    plain = await registerRp(app, { client_name: 'Plain Site' });
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.close();
  });

  test('the sign-up verification mail of a branded site, in Japanese', async () => {
    const browser = new Browser();
    const login = await browser.get((await authorizationRequest(branded, { ui_locales: 'ja' })).url.toString());
    const register = await browser.get(`${login.url}/register`);
    const email = 'sakura.reader@example.jp';
    await browser.submit(register, { email, password: 'a long enough passphrase for books' });
    const mail = await mailbox.next(email);
    const html = parse(mail.html);
    const frame = html.querySelector('[data-brand]');
    expect(frame?.getAttribute('data-brand')).toBe(branded.clientId);
    expect(frame?.getAttribute('style')).toContain('border-top:6px solid #c2410c');
    expect(html.querySelector('body')?.getAttribute('style')).toContain('#fff7ed');
    expect(html.querySelector('img')?.getAttribute('src')).toBe('https://books.example/logo.png');
    // Mail clients block images by default: the name is the logo's alt text, and written beside it.
    expect(html.querySelector('img')?.getAttribute('alt')).toBe('さくら書店');
    expect(frame?.text).toContain('さくら書店');
    expect(html.querySelector('a[href="https://books.example/help"]')?.text).toBe('ヘルプ');
    // The message itself is still there, with its code.
    expect(mail.text).toMatch(/\d{6}/);
    expect(mail.text).toContain('さくら書店');
    expect(mail.text).toContain('ヘルプ: https://books.example/help');
    expect(mail.html).not.toContain('Sakura Books');
  });

  test('the password reset mail asked from a branded site, and the plain mail of an unbranded one', async () => {
    const email = 'reset.reader@example.com';
    await app.container.accounts.createByAdmin({ email, password: 'an old passphrase here', verified: true });
    const ask = async (rp: Rp) => {
      const browser = new Browser();
      const login = await browser.get((await authorizationRequest(rp)).url.toString());
      const forgot = await browser.get(`${login.url}/forgot`);
      await browser.submit(forgot, { email });
      return mailbox.next(email);
    };
    const brandedMail = await ask(branded);
    expect(parse(brandedMail.html).querySelector('[data-brand]')?.text).toContain('Sakura Books');
    expect(brandedMail.text).toContain('/password/reset?token=');

    const plainMail = await ask(plain);
    // Plain Site sets no colours, but has a name: the frame is still there, in the default colours.
    expect(parse(plainMail.html).querySelector('[data-brand]')?.getAttribute('style')).toContain('#1d4ed8');
    expect(plainMail.text).toContain('Plain Site');
  });
});
