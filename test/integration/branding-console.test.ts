import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser, type Page } from '../helpers/browser.ts';
import { enrolTotp, submitCode, totpAt } from '../helpers/mfa.ts';
import { registerRp, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// The console's application page edits a site's branding: colours, links and sign-in methods, saved through the
// admin API like its other fields; a bad colour comes back with the validator's message and changes nothing.

const PASSWORD = 'a console passphrase long enough';

describe('branding on the console application page', () => {
  let app: TestApp;
  let rp: Rp;
  let browser: Browser;

  /** The application page's form fields as the browser would send them (text inputs and ticked boxes). */
  const formOf = (page: Page): Record<string, string> => {
    const form = page.html.querySelector('form.grid')!;
    const fields: Record<string, string> = {};
    for (const input of form.querySelectorAll('input')) {
      const type = input.getAttribute('type');
      if ((type === 'checkbox' && input.getAttribute('checked') === undefined) || !input.getAttribute('name')) continue;
      fields[input.getAttribute('name')!] = input.getAttribute('value') ?? '';
    }
    for (const area of form.querySelectorAll('textarea')) fields[area.getAttribute('name')!] = area.text;
    for (const select of form.querySelectorAll('select')) fields[select.getAttribute('name')!] = select.querySelector('option[selected]')?.getAttribute('value') ?? '';
    return fields;
  };

  beforeAll(async () => {
    app = await startTestApp({ label: 'branding_console', overrides: { mfa: { risk: { threshold: 1000 } } } });
    const admin = await app.container.accounts.createByAdmin({ email: 'admin@console.example', password: PASSWORD, verified: true });
    const secret = await enrolTotp(app, admin._id);
    await app.container.users.setRoles(admin._id, ['admin'], { type: 'system' });
    rp = await registerRp(app, { client_name: 'Console Books' });
    browser = new Browser();
    const login = await browser.get(`${app.issuer}/admin`);
    const mfa = await browser.submit(login, { email: 'admin@console.example', password: PASSWORD });
    const home = await submitCode(browser, mfa, await totpAt(secret));
    expect(home.url).toBe(`${app.issuer}/admin`);
  });
  afterAll(async () => {
    await app?.stop();
  });

  test('colours, links and methods saved from the page are stored on the client and shown again', async () => {
    const page = await browser.get(`${app.issuer}/admin/clients/${rp.clientId}`);
    expect(page.status).toBe(200);
    expect(page.html.querySelector('label[for=branding_primary_color]')?.text).toContain('#rrggbb');
    const saved = await browser.post(page.url, {
      ...formOf(page), action: 'save', branding_primary_color: '#9333ea', support_uri: 'https://books.example/help', login_password: 'yes',
    });
    expect(saved.status).toBe(200);
    const stored = await app.container.clients.get(rp.clientId);
    expect(stored).toMatchObject({ branding_primary_color: '#9333ea', support_uri: 'https://books.example/help', login_methods: ['password'] });
    const shown = await browser.get(`${app.issuer}/admin/clients/${rp.clientId}`);
    expect(shown.html.querySelector('#branding_primary_color')?.getAttribute('value')).toBe('#9333ea');
    expect(shown.html.querySelector('input[name=login_password]')?.getAttribute('checked')).toBeDefined();
    expect(shown.html.querySelector('input[name=login_passkey]')?.hasAttribute('checked')).toBe(false);
  });

  test('a bad colour comes back with the validator\'s message and nothing is changed', async () => {
    const page = await browser.get(`${app.issuer}/admin/clients/${rp.clientId}`);
    const refused = await browser.post(page.url, { ...formOf(page), action: 'save', branding_primary_color: 'purple' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('branding_primary_color: must be a colour written #rrggbb');
    expect((await app.container.clients.get(rp.clientId)).branding_primary_color).toBe('#9333ea');
  });
});
