import { createHash } from 'node:crypto';

// A client's colours as CSS custom properties, in a stylesheet served from our own origin (/branding/<client_id>.css):
// the CSP keeps `style-src 'self'` (no inline style, no 'unsafe-inline'), and public/app.css reads the properties.
// The values were validated as #rrggbb when the client was registered (branding-metadata.ts) and are checked again
// here, so nothing else can reach the stylesheet.

const HEX = /^#[0-9a-fA-F]{6}$/;

const colour = (value: unknown): string | undefined => (typeof value === 'string' && HEX.test(value) ? value.toLowerCase() : undefined);

/** Black or white text on a background, whichever contrasts more (WCAG 2.2 relative luminance, §1.4.3). */
export function textOn(background: string): '#ffffff' | '#111111' {
  const channel = (i: number) => {
    const c = parseInt(background.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  // Contrast with white (1.05 / (L + .05)) against contrast with near-black ((L + .05) / (.0057 + .05)).
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.0557 ? '#ffffff' : '#111111';
}

/** The stylesheet of a client, or undefined when it sets no colour. */
export function brandStylesheet(metadata: Record<string, unknown>): string | undefined {
  const primary = colour(metadata.branding_primary_color);
  const background = colour(metadata.branding_background_color);
  const text = colour(metadata.branding_text_color);
  if (!primary && !background && !text) return undefined;
  const properties: string[] = [];
  if (primary) properties.push(`--accent: ${primary};`, `--on-accent: ${textOn(primary)};`);
  if (background) properties.push(`--bg: ${background};`);
  if (text) properties.push(`--text: ${text};`);
  // A site that chose its page or text colour chose a light page: the dark scheme's card would hide its text.
  if (background || text) properties.push('color-scheme: light;', '--card: #ffffff;', '--muted: #4b5563;', '--error: #b91c1c;');
  return `:root {\n  ${properties.join('\n  ')}\n}\n`;
}

/** A short fingerprint of the stylesheet: its ETag, and the `v` of its URL so a change is fetched at once. */
export const stylesheetVersion = (css: string): string => createHash('sha256').update(css).digest('base64url').slice(0, 16);

/** The URL the layout links, or undefined when the client sets no colour. */
export function stylesheetUrl(metadata: Record<string, unknown>): string | undefined {
  const css = brandStylesheet(metadata);
  const clientId = metadata.client_id;
  if (!css || typeof clientId !== 'string') return undefined;
  return `/branding/${encodeURIComponent(clientId)}.css?v=${stylesheetVersion(css)}`;
}
