import type { Context } from 'koa';
import type { Config } from '../config/config.schema.ts';
import type { I18n, Locale } from '../i18n/i18n.ts';
import type { Views } from './views.ts';
import { setFormActionCsp } from './security-headers.ts';
import { brandView } from '../branding/brand-view.ts';

export interface RenderOptions {
  status?: number;
  /** OIDC ui_locales of the interaction, when there is one. */
  uiLocales?: string;
  /** The client's redirect_uri, so the CSP lets the redirects after our form reach it. */
  redirectUri?: string;
  /** views/layouts/<layout>.hbs (main by default; the admin console has its own). */
  layout?: string;
  /**
   * The client the page is for (its engine metadata): its name, logo, colours and links brand the page
   * (src/branding). Without it, the client the interaction router found for this request (ctx.state.brandClient).
   */
  client?: Record<string, unknown>;
}

export interface Pages {
  locale(ctx: Context, uiLocales?: string): Locale;
  render(ctx: Context, name: string, model: Record<string, unknown>, options?: RenderOptions): void;
}

export function createPages(views: Views, i18n: I18n, config: Config): Pages {
  const locale = (ctx: Context, uiLocales?: string) => i18n.negotiate(
    uiLocales ?? (typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales : undefined),
    (langs) => ctx.acceptsLanguages(langs),
    config.i18n.defaultLocale,
  );
  return {
    locale,
    render(ctx, name, model, options = {}) {
      const chosen = locale(ctx, options.uiLocales);
      const client = options.client ?? (ctx.state.brandClient as Record<string, unknown> | undefined);
      const brand = client && options.layout === undefined ? brandView(client, chosen) : undefined;
      // An http logo is only accepted in development and test (branding-metadata.ts); the CSP names its origin
      // there, never in production (a client registered elsewhere keeps https-only images here).
      const logoOrigin = config.nodeEnv !== 'production' && brand?.logoUri?.startsWith('http:') ? new URL(brand.logoUri).origin : undefined;
      setFormActionCsp(ctx, options.redirectUri, logoOrigin ? [logoOrigin] : []);
      ctx.status = options.status ?? 200;
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      // Every page can name the request (X-Request-Id) for support: error pages show it.
      ctx.body = views.page(name, { requestId: ctx.state.reqId, ...(brand ? { brand } : {}), ...model }, { locale: chosen, t: i18n.t(chosen), csrfToken: ctx.state.csrfToken }, options.layout);
    },
  };
}
