import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { ConsoleAuth, ConsoleUser } from './console-auth.ts';
import { lines, text, confirmation, consoleRoute, type ConsolePages } from './console-page.ts';
import { brandingFromForm, brandingMethodsView } from './branding-form.ts';

// Applications: OIDC clients, created from a form with the metadata that matters (the secret is shown once), edited
// (redirect URIs, MFA policy, required attributes, legal documents, branding), secret rotation and removal.

const MFA_POLICIES = ['optional', 'required', 'off'];
const METHODS = ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt'];

/** Client metadata from the form; only what the form shows is sent, so the engine validates exactly that. */
export function clientMetadata(form: Record<string, string>, creating: boolean): Record<string, unknown> {
  const list = (name: string) => lines(form[name]);
  const csv = (name: string) => (form[name] ?? '').split(/[,\s]+/).map((v) => v.trim()).filter(Boolean);
  const metadata: Record<string, unknown> = {
    client_name: text(form.client_name) ?? null,
    'client_name#ja': text(form.client_name_ja) ?? null,
    redirect_uris: list('redirect_uris'),
    post_logout_redirect_uris: list('post_logout_redirect_uris'),
    mfa_policy: MFA_POLICIES.includes(form.mfa_policy ?? '') ? form.mfa_policy : 'optional',
    first_party: form.first_party === 'yes',
    logo_uri: text(form.logo_uri) ?? null,
    client_uri: text(form.client_uri) ?? null,
    ...(creating ? {} : brandingFromForm(form)),
    required_attributes: csv('required_attributes'),
    legal_documents: csv('legal_required').length || csv('legal_optional').length
      ? { required: csv('legal_required'), optional: csv('legal_optional') } : null,
  };
  if (creating) {
    metadata.token_endpoint_auth_method = METHODS.includes(form.token_endpoint_auth_method ?? '') ? form.token_endpoint_auth_method : 'client_secret_basic';
    metadata.grant_types = ['authorization_code', ...(form.refresh === 'yes' ? ['refresh_token'] : [])];
    metadata.response_types = ['code'];
    // A new client has nothing to remove: leave out what the form left empty.
    for (const [key, value] of Object.entries(metadata)) if (value === null) delete metadata[key];
  }
  return metadata;
}

function clientView(client: Record<string, any>) {
  return {
    ...client,
    redirectUris: (client.redirect_uris ?? []).join('\n'),
    postLogoutUris: (client.post_logout_redirect_uris ?? []).join('\n'),
    requiredAttributes: (client.required_attributes ?? []).map((a: unknown) => (typeof a === 'string' ? a : (a as { attribute: string }).attribute)).join(', '),
    legalRequired: (client.legal_documents?.required ?? []).join(', '),
    legalOptional: (client.legal_documents?.optional ?? []).join(', '),
    nameJa: client['client_name#ja'],
    loginMethods: brandingMethodsView(client),
    mfaPolicies: MFA_POLICIES.map((value) => ({ value, selected: (client.mfa_policy ?? 'optional') === value })),
  };
}

export function registerApplicationPages(router: Router, deps: { auth: ConsoleAuth; pages: ConsolePages; form: Middleware[] }) {
  const { auth, pages } = deps;

  async function list(ctx: Context, user: ConsoleUser, extra: Record<string, unknown> = {}, status = 200) {
    const clients = await pages.call(ctx, user, 'listClients');
    pages.render(ctx, user, 'clients', {
      title: 'console.clients.title', clients: clients.body?.items ?? [], methods: METHODS, mfaPolicies: MFA_POLICIES.map((value) => ({ value, selected: value === 'optional' })), ...extra,
    }, status);
  }

  router.get('/admin/clients', ...deps.form, consoleRoute(auth, pages, async (ctx, user) => {
    await list(ctx, user);
  }));

  router.post('/admin/clients', ...deps.form, consoleRoute(auth, pages, async (ctx, user) => {
    const form = (ctx.request.body ?? {}) as Record<string, string>;
    if (form.action !== 'create') return list(ctx, user, { error: { code: 'request.invalid' } }, 400);
    const created = await pages.call(ctx, user, 'createClient', { body: clientMetadata(form, true) });
    if (!created.ok) return list(ctx, user, { error: created.error, values: form }, created.status);
    // The secret is shown here, once: it is stored only as the engine keeps it and never listed again.
    pages.render(ctx, user, 'client-created', { title: 'console.clients.created', client: created.body }, 201);
  }));

  async function show(ctx: Context, user: ConsoleUser, id: string, extra: Record<string, unknown> = {}, status = 200) {
    const client = await pages.call(ctx, user, 'getClient', { params: { id } });
    if (!client.ok) return pages.render(ctx, user, 'not-found', { title: 'console.not_found' }, 404);
    pages.render(ctx, user, 'client', { title: 'console.client.title', client: clientView(client.body), ...extra }, status);
  }

  router.get('/admin/clients/:id', ...deps.form, consoleRoute(auth, pages, async (ctx, user) => {
    await show(ctx, user, ctx.params.id!, { done: text(ctx.query.done) ? `console.done.${ctx.query.done}` : undefined });
  }));

  router.post('/admin/clients/:id', ...deps.form, consoleRoute(auth, pages, async (ctx, user) => {
    const id = ctx.params.id!;
    const form = (ctx.request.body ?? {}) as Record<string, string>;
    if ((form.action === 'delete' || form.action === 'rotate_secret') && form.confirmed !== 'yes') {
      return confirmation(pages, ctx, user, `console.confirm.client_${form.action}`, `/admin/clients/${encodeURIComponent(id)}`, [{ name: 'action', value: form.action }]);
    }
    if (form.action === 'rotate_secret') {
      const rotated = await pages.call(ctx, user, 'rotateClientSecret', { params: { id } });
      if (!rotated.ok) return show(ctx, user, id, { error: rotated.error }, rotated.status);
      return pages.render(ctx, user, 'client-created', { title: 'console.clients.rotated', client: rotated.body, rotated: true });
    }
    const result = form.action === 'delete'
      ? await pages.call(ctx, user, 'deleteClient', { params: { id } })
      : form.action === 'save' ? await pages.call(ctx, user, 'updateClient', { params: { id }, body: clientMetadata(form, false) }) : undefined;
    if (!result) return show(ctx, user, id, { error: { code: 'request.invalid' } }, 400);
    if (!result.ok) return show(ctx, user, id, { error: result.error }, result.status);
    ctx.status = 303;
    ctx.redirect(form.action === 'delete' ? '/admin/clients' : `/admin/clients/${encodeURIComponent(id)}?done=saved`);
  }));
}
