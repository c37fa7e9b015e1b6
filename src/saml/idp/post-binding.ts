import type { Context } from 'koa';
import type { Pages } from '../../http/pages.ts';
import type { PostForm } from './response.service.ts';

// Apart from saml.router.ts so that slo.service.ts, which the router depends on, can render a form too without
// importing the router back.

/** The HTTP-POST binding (saml-bindings §3.5.4): a form the browser submits (script, or the button without it). */
export function renderPost(ctx: Context, pages: Pages, form: PostForm): void {
  pages.render(ctx, 'saml/post', {
    action: form.action,
    fields: Object.entries(form.fields).map(([name, value]) => ({ name, value })),
    spName: form.spName,
  }, { redirectUri: form.action });
}
