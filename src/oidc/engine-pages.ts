import type { Pages } from '../http/pages.ts';
import type { EnginePages } from './provider.ts';

// The engine's own pages rendered with our layout and languages: its error page, the RP-initiated logout
// confirmation (button[name=logout][value=yes]) and the page after logout.
export function createEnginePages(pages: Pages): EnginePages {
  return {
    async renderError(ctx, out) {
      pages.render(ctx, 'pages/oidc-error', { error: out.error, description: out.error_description }, { status: ctx.status >= 400 ? ctx.status : 400 });
    },
    async logoutSource(ctx, form) {
      // The engine hands us its form (action + xsrf token); we render our own markup with the same two values.
      const action = /action="([^"]+)"/.exec(form)?.[1];
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
      if (!action || !xsrf) throw new Error('unexpected logout form from the engine');
      const client = ctx.oidc.client;
      const clientName = client ? (client.metadata() as Record<string, string | undefined>).client_name ?? client.clientId : undefined;
      pages.render(ctx, 'pages/logout', { action, xsrf, clientName });
    },
    async postLogoutSuccessSource(ctx) {
      const client = ctx.oidc.client;
      const metadata = client ? (client.metadata() as Record<string, string | undefined>) : undefined;
      pages.render(ctx, 'pages/logged-out', { clientName: metadata?.client_name ?? client?.clientId, clientUri: metadata?.client_uri });
    },
  };
}
