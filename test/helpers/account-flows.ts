import type { Page } from './browser.ts';
import type { ReceivedMail } from './smtp.ts';

// Small readers for the hosted pages and the mails of the account flows (sign-up, verification, reset).

/** The text of the page's main heading. */
export const heading = (page: Page): string => page.html.querySelector('h1')?.text.trim() ?? '';

/** The document title (what a tab or a screen reader announces first). */
export const documentTitle = (page: Page): string => page.html.querySelector('title')?.text.trim() ?? '';

/** The error message shown on a page (form error or error page), or '' when there is none. */
export const errorText = (page: Page): string => page.html.querySelector('.error[role=alert]')?.text.trim() ?? '';

/** The link of an anchor whose href ends with `suffix`, absolute. */
export function linkTo(page: Page, suffix: string): string {
  const anchor = page.html.querySelectorAll('a').find((a) => (a.getAttribute('href') ?? '').endsWith(suffix));
  if (!anchor) throw new Error(`no link to ...${suffix} on ${page.url} (status ${page.status}):\n${page.body.slice(0, 800)}`);
  return new URL(anchor.getAttribute('href')!, page.url).toString();
}

/** What a person sees and can submit in the card, with `email` (any case) replaced, to compare two pages. */
export function pageShape(page: Page, email: string): string {
  const main = page.html.querySelector('main');
  const fields = (main?.querySelectorAll('input, button') ?? []).map((el) => `${el.tagName}:${el.getAttribute('name') ?? ''}:${el.getAttribute('type') ?? ''}`);
  const text = (main?.text ?? '').replace(/\s+/g, ' ').trim();
  const escaped = email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `${page.status} ${text.replace(new RegExp(escaped, 'gi'), '<email>')} [${fields.join(' ')}]`;
}

/** The 6-digit code of a verification mail (on a line of its own in the text part). */
export function codeFrom(mail: ReceivedMail): string {
  const match = /^\s*(\d{6})\s*$/m.exec(mail.text);
  if (!match) throw new Error(`no 6-digit code in mail "${mail.subject}":\n${mail.text}`);
  return match[1]!;
}

/** The absolute link to `issuer + pathname?token=...` in a mail's text part. */
export function linkFrom(mail: ReceivedMail, issuer: string, pathname: string): string {
  const escaped = `${issuer}${pathname}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}\\?token=[A-Za-z0-9_%.-]+`).exec(mail.text);
  if (!match) throw new Error(`no link to ${pathname} in mail "${mail.subject}":\n${mail.text}`);
  return match[0];
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
