import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { contentFor, type DocumentState } from '../consents/legal.service.ts';
import type { LegalDocumentRepository } from '../consents/legal-document.repository.ts';
import { isAppError } from '../shared/app-error.ts';
import type { Pages } from '../http/pages.ts';
import type { Locale } from '../i18n/i18n.ts';
import { email as emailField, formError } from '../interaction/forms.ts';
import type { AttributeSchema } from '../profile/attribute-schema.ts';
import { buildFields, formValue } from '../profile/profile-form.ts';
import type { LeadClients, SiteClient } from './lead-clients.ts';
import { currentDocuments, LeadInputError } from './lead-input.ts';
import type { LeadService } from './lead.service.ts';

// The hosted lite registration page, /lite/subscribe?client_id=...: an email address, the client's legal documents
// (required ones must be ticked; every box starts unticked, GDPR Recital 32) and the attributes the client chose,
// then "check your mail". /lite/verify is the mailed link: a page with a button (link scanners that fetch every
// URL in a mail must not confirm anything), whose POST confirms the submission.

export interface LeadsPageDeps {
  pages: Pages;
  formMiddleware: Middleware[];
  clients: LeadClients;
  leads: LeadService;
  schema: AttributeSchema;
  documents: LegalDocumentRepository;
}

const tokenParam = z.string().min(10).max(200);
const list = (raw: unknown) => (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');

export function createLeadsPageRouter(deps: LeadsPageDeps): Router {
  const router = new Router();

  const documentView = (state: DocumentState, locale: Locale, required: boolean, ticked: Set<string>) => {
    const content = contentFor(state.current, locale);
    return {
      id: state.documentId, inputId: `doc-${state.documentId}`, required, checked: ticked.has(state.documentId),
      title: content.title, url: content.url, version: state.current.version,
    };
  };

  async function show(ctx: Context, site: SiteClient, form: Record<string, unknown> = {}, failure?: { code: string; fields: Record<string, string> }) {
    const locale = deps.pages.locale(ctx);
    const docs = await currentDocuments(deps.documents, site.policy);
    const ticked = new Set(list(form.accept));
    const values = Object.fromEntries(site.policy.attributes.map((key) => [key, formValue(form, key)]));
    deps.pages.render(ctx, 'leads/subscribe', {
      title: 'leads.subscribe_title', site: { id: site.clientId, name: site.nameIn(locale) },
      email: typeof form.email === 'string' ? form.email : '',
      required: docs.required.map((s) => documentView(s, locale, true, ticked)),
      optional: docs.optional.map((s) => documentView(s, locale, false, ticked)),
      fields: buildFields(deps.schema, site.policy.attributes, values, failure?.fields ?? {}, locale),
      error: failure?.code, emailError: failure?.fields.email,
    }, { status: failure ? 400 : 200 });
  }

  async function siteOr404(ctx: Context, clientId: unknown): Promise<SiteClient | undefined> {
    const site = typeof clientId === 'string' ? await deps.clients.site(clientId) : undefined;
    if (!site) deps.pages.render(ctx, 'pages/error', { code: 'lead.unknown_client', title: 'errors.title' }, { status: 404 });
    return site;
  }

  router.get('/lite/subscribe', ...deps.formMiddleware, async (ctx) => {
    const site = await siteOr404(ctx, ctx.query.client_id);
    if (site) await show(ctx, site);
  });

  router.post('/lite/subscribe', ...deps.formMiddleware, async (ctx) => {
    const form = (ctx.request.body ?? {}) as Record<string, unknown>;
    const site = await siteOr404(ctx, form.client_id);
    if (!site) return;
    const email = emailField.safeParse(form.email);
    try {
      if (!email.success) throw new LeadInputError({ email: 'lead.invalid_email' });
      const locale = deps.pages.locale(ctx);
      await deps.leads.capture({
        clientId: site.clientId, clientName: site.nameIn(locale), policy: site.policy, email: email.data, locale, accept: list(form.accept),
        attributes: Object.fromEntries(site.policy.attributes.flatMap((key) => {
          const value = formValue(form, key);
          return value === undefined ? [] : [[key, value]];
        })),
      }, { method: 'lite_page', ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 300) || undefined, limit: { name: 'leadPerIp', key: ctx.ip } });
      deps.pages.render(ctx, 'leads/sent', { title: 'leads.sent_title', email: email.data, site: { name: site.nameIn(locale) } });
    } catch (error) {
      const failure = formError(ctx, error);
      const fields = failure instanceof LeadInputError ? failure.fields : {};
      await show(ctx, site, form, { code: failure.code, fields });
      ctx.status = failure.status;
    }
  });

  router.get('/lite/verify', ...deps.formMiddleware, async (ctx) => {
    const token = tokenParam.safeParse(ctx.query.token);
    if (!token.success || !(await deps.leads.isLinkValid(token.data))) {
      deps.pages.render(ctx, 'pages/error', { code: 'lead.invalid_link', title: 'errors.title' }, { status: 400 });
      return;
    }
    deps.pages.render(ctx, 'leads/confirm', { title: 'leads.confirm_title', token: token.data });
  });

  router.post('/lite/verify', ...deps.formMiddleware, async (ctx) => {
    const token = tokenParam.safeParse((ctx.request.body as Record<string, unknown> | undefined)?.token);
    try {
      const done = await deps.leads.verify(token.success ? token.data : '');
      const site = await deps.clients.site(done.clientId);
      deps.pages.render(ctx, 'leads/verified', { title: 'leads.verified_title', siteName: site?.nameIn(deps.pages.locale(ctx)), converted: done.converted });
    } catch (error) {
      if (!isAppError(error) || error.status >= 500) throw error;
      deps.pages.render(ctx, 'pages/error', { code: error.code, title: 'errors.title' }, { status: error.status });
    }
  });

  return router;
}
