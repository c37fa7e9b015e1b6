import Router from '@koa/router';
import type { Provider } from '../oidc/provider.ts';
import { brandStylesheet, stylesheetVersion } from './brand-stylesheet.ts';

// GET /branding/<client_id>.css: a client's colours as CSS custom properties (brand-stylesheet.ts), from our own
// origin so the CSP stays `style-src 'self'`. Clients are read through the engine's change-stream cached lookup, so a
// colour changed on another instance is served here within milliseconds. The layout links the stylesheet with a
// version in its query, so the response may be cached; the ETag (RFC 9110 §8.8.3) answers revalidations with 304.

export function createBrandingRouter(deps: { provider: () => Provider }): Router {
  const router = new Router();
  router.get('/branding/:file', async (ctx) => {
    const clientId = /^([A-Za-z0-9_-]{1,128})\.css$/.exec(ctx.params.file ?? '')?.[1];
    const client = clientId ? await deps.provider().Client.find(clientId).catch(() => undefined) : undefined;
    const css = client ? brandStylesheet(client.metadata() as Record<string, unknown>) : undefined;
    if (!css) {
      ctx.status = 404;
      ctx.type = 'text/css; charset=utf-8';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = '/* no branding */\n';
      return;
    }
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('ETag', `"${stylesheetVersion(css)}"`);
    // Short enough that an unversioned URL (an old page in a tab) picks up a change soon.
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.set('Vary', 'Accept-Encoding');
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = css;
  });
  return router;
}
