import type { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { totpAt } from './mfa.ts';

// Signing in to the admin console in headless Chromium: the engine's login page, then the TOTP step the console
// requires; CSP refusals the page logs are collected so a test can assert there were none.

export interface ConsoleSignIn {
  issuer: string;
  email: string;
  password: string;
  /** The person's TOTP secret, and which 30 s step to use (a second sign-in in the same step would be a replay). */
  totpSecret: string;
  step?: number;
  locale?: string;
  acceptDownloads?: boolean;
  violations: string[];
}

export async function signInToConsole(chrome: Chromium, options: ConsoleSignIn): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chrome.newContext({ locale: options.locale ?? 'en-US', acceptDownloads: options.acceptDownloads ?? false });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.text().includes('Refused to')) options.violations.push(m.text()); });
  await page.goto(`${options.issuer}/admin`);
  await page.locator('input[name=email]').fill(options.email);
  await page.locator('input[name=password]').fill(options.password);
  await page.locator('button[type=submit]').click();
  await page.locator('input[name=code]').fill(await totpAt(options.totpSecret, options.step ?? 0));
  await Promise.all([
    page.waitForURL(`${options.issuer}/admin`, { timeout: 15_000 }),
    page.locator('form:has(input[name=code]) button[type=submit]').click(),
  ]);
  return { context, page };
}
