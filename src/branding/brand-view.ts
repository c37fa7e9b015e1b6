import type { Locale } from '../i18n/i18n.ts';
import { loginMethodsOf } from './branding-metadata.ts';
import { stylesheetUrl, textOn } from './brand-stylesheet.ts';

// What the layout (views/layouts/main.hbs) and the branded mails show of the site a page or a mail is for: its name
// in the page's language, its logo, its stylesheet and its policy, terms and support links. The name is always
// rendered as text beside the logo, so a logo that fails to load leaves the name, not an empty gap.

export interface BrandLink { label: string; href: string }

export interface BrandView {
  clientId: string;
  name: string;
  logoUri?: string;
  /** /branding/<client_id>.css?v=<version> when the client sets colours. */
  stylesheet?: string;
  /** The colours again, for mails (mail clients read inline styles, not our stylesheet). */
  colors: { primary?: string; onPrimary?: string; background?: string; text?: string };
  links: BrandLink[];
  /** Sign-in methods this client does not offer (login_methods): the sign-in page leaves them out. */
  hidden: { password: boolean; passkey: boolean; federation: boolean };
}

/**
 * A language-tagged member (RFC 7591 §2.2: `client_name#ja`, also `client_name#ja-JP`) for the locale, else the
 * untagged one. Tags compare case-insensitively (BCP 47 §2.1.1).
 */
export function localized(metadata: Record<string, unknown>, key: string, locale: Locale): string | undefined {
  let regional: string | undefined;
  for (const [name, value] of Object.entries(metadata)) {
    if (typeof value !== 'string' || !name.startsWith(`${key}#`)) continue;
    const tag = name.slice(key.length + 1).toLowerCase();
    if (tag === locale) return value;
    if (tag.split('-')[0] === locale) regional ??= value;
  }
  const plain = metadata[key];
  return regional ?? (typeof plain === 'string' ? plain : undefined);
}

export function brandView(metadata: Record<string, unknown>, locale: Locale): BrandView {
  const clientId = String(metadata.client_id);
  const link = (key: string, label: string) => {
    const href = localized(metadata, key, locale);
    return href && /^https?:\/\//i.test(href) ? [{ label, href }] : [];
  };
  const logoUri = localized(metadata, 'logo_uri', locale);
  const methods = loginMethodsOf(metadata);
  const color = (key: string) => (typeof metadata[key] === 'string' && /^#[0-9a-f]{6}$/i.test(metadata[key] as string) ? (metadata[key] as string) : undefined);
  const primary = color('branding_primary_color');
  return {
    clientId,
    name: localized(metadata, 'client_name', locale) ?? clientId,
    ...(logoUri && /^https?:\/\//i.test(logoUri) ? { logoUri } : {}),
    stylesheet: stylesheetUrl(metadata),
    colors: {
      primary, onPrimary: primary ? textOn(primary) : undefined,
      background: color('branding_background_color'), text: color('branding_text_color'),
    },
    links: [...link('policy_uri', 'branding.privacy'), ...link('tos_uri', 'branding.terms'), ...link('support_uri', 'branding.support')],
    hidden: { password: !methods.has('password'), passkey: !methods.has('passkey'), federation: !methods.has('federation') },
  };
}
