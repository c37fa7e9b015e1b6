import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { ConsoleAuth, ConsoleUser } from './console-auth.ts';
import { text, confirmation, consoleRoute, type ConsolePages } from './console-page.ts';
import { fetchMetadata, MetadataFetchError } from './metadata-fetch.ts';

// SAML service providers (from a metadata file's text or a URL, with attribute mapping and NameID format) and
// upstream connectors (the same JSON as `idp connectors add`).

const NAMEIDS = ['persistent', 'transient', 'email', 'unspecified'];

/** `claim=Name` per line (e.g. `email=urn:oid:0.9.2342.19200300.100.1.3`) as the registry's attribute mapping. */
export function attributeMapping(value: unknown): Record<string, string> | undefined {
  const entries = (typeof value === 'string' ? value.split(/\r?\n/) : []).map((l) => l.trim()).filter(Boolean)
    .map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()] as const).filter(([claim, name]) => claim && name);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

export function registerFederationPages(router: Router, deps: { auth: ConsoleAuth; pages: ConsolePages; form: Middleware[]; allowPrivateMetadata: boolean }) {
  const { auth, pages } = deps;

  async function listSps(ctx: Context, user: ConsoleUser, extra: Record<string, unknown> = {}, status = 200) {
    const sps = await pages.call(ctx, user, 'listSamlServiceProviders');
    pages.render(ctx, user, 'saml', { title: 'console.saml.title', sps: sps.body?.items ?? [], nameIds: NAMEIDS, ...extra }, status);
  }
  async function listConnectors(ctx: Context, user: ConsoleUser, extra: Record<string, unknown> = {}, status = 200) {
    const connectors = await pages.call(ctx, user, 'listConnectors');
    pages.render(ctx, user, 'connectors', { title: 'console.connectors.title', connectors: connectors.body?.items ?? [], ...extra }, status);
  }
  const guard = (page: (ctx: Context, user: ConsoleUser) => Promise<void>) => consoleRoute(auth, pages, page);
  const confirm = (ctx: Context, user: ConsoleUser, question: string, action: string, fields: Array<{ name: string; value: string }>) =>
    confirmation(pages, ctx, user, question, action, fields);

  router.get('/admin/saml', ...deps.form, guard((ctx, user) => listSps(ctx, user)));
  router.post('/admin/saml', ...deps.form, guard(async (ctx, user) => {
    const form = (ctx.request.body ?? {}) as Record<string, string>;
    if (form.action === 'remove') {
      if (form.confirmed !== 'yes') return confirm(ctx, user, 'console.confirm.saml_remove', '/admin/saml', [{ name: 'action', value: 'remove' }, { name: 'entity_id', value: form.entity_id ?? '' }]);
      const removed = await pages.call(ctx, user, 'deleteSamlServiceProvider', { params: { entityId: form.entity_id } });
      return removed.ok ? void ctx.redirect('/admin/saml') : listSps(ctx, user, { error: removed.error }, removed.status);
    }
    let metadataXml = text(form.metadata_xml);
    if (!metadataXml && text(form.metadata_url)) {
      try {
        metadataXml = await fetchMetadata(form.metadata_url!.trim(), { allowPrivate: deps.allowPrivateMetadata });
      } catch (error) {
        if (!(error instanceof MetadataFetchError)) throw error;
        return listSps(ctx, user, { error: { code: 'request.invalid', message: error.message }, values: form }, 400);
      }
    }
    const added = await pages.call(ctx, user, 'putSamlServiceProvider', {
      body: {
        metadata_xml: metadataXml ?? '', attributes: attributeMapping(form.attributes),
        nameid_format: NAMEIDS.includes(form.nameid_format ?? '') ? form.nameid_format : undefined,
        encrypt_assertions: form.encrypt_assertions === 'yes', sign_response: form.sign_response === 'yes',
        allow_idp_initiated: form.allow_idp_initiated === 'yes', first_party: form.first_party === 'yes',
      },
    });
    if (!added.ok) return listSps(ctx, user, { error: added.error, values: form }, added.status);
    ctx.status = 303;
    ctx.redirect('/admin/saml?done=added');
  }));

  router.get('/admin/connectors', ...deps.form, guard((ctx, user) => listConnectors(ctx, user)));
  router.post('/admin/connectors', ...deps.form, guard(async (ctx, user) => {
    const form = (ctx.request.body ?? {}) as Record<string, string>;
    if (form.action === 'remove') {
      if (form.confirmed !== 'yes') return confirm(ctx, user, 'console.confirm.connector_remove', '/admin/connectors', [{ name: 'action', value: 'remove' }, { name: 'id', value: form.id ?? '' }]);
      const removed = await pages.call(ctx, user, 'deleteConnector', { params: { id: form.id } });
      return removed.ok ? void ctx.redirect('/admin/connectors') : listConnectors(ctx, user, { error: removed.error }, removed.status);
    }
    let body: unknown;
    try {
      body = JSON.parse(form.json ?? '');
    } catch {
      return listConnectors(ctx, user, { error: { code: 'request.invalid_json' }, values: form }, 400);
    }
    const added = await pages.call(ctx, user, 'createConnector', { body });
    if (!added.ok) return listConnectors(ctx, user, { error: added.error, values: form }, added.status);
    ctx.status = 303;
    ctx.redirect('/admin/connectors?done=added');
  }));
}
