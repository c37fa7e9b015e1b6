import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { z } from 'zod';
import { isAppError } from '../shared/app-error.ts';
import { LOCALES, type Locale } from '../i18n/i18n.ts';
import { email } from '../interaction/forms.ts';
import type { Audit } from '../shared/audit.ts';
import type { LeadClients } from './lead-clients.ts';
import { LeadInputError } from './lead-input.ts';
import type { LeadService } from './lead.service.ts';

// POST /api/v1/leads: a site's own form, relayed by the site's server, authenticated as the site's OIDC client
// (client_secret_basic, or client_id and client_secret in the JSON body as with client_secret_post). The same
// service as the hosted page; the answer is 202 whatever the address (new, a lead already, an account). Errors are
// OAuth-style JSON (RFC 6749 §5.2 names: invalid_client, unauthorized_client, invalid_request).

export const LEADS_API_PATH = '/api/v1/leads';

const leadBody = z.object({
  email,
  consents: z.array(z.string().max(64)).max(40).default([]).describe('ids of the legal documents the person ticked'),
  attributes: z.record(z.string().max(100), z.union([z.string().max(1000), z.number(), z.boolean()])).default({}),
  locale: z.enum(LOCALES).optional().describe('language of the confirmation mail (default: i18n.defaultLocale)'),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
}).strict();

function answer(ctx: Context, status: number, body: Record<string, unknown>) {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

export function createLeadsApiRouter(deps: { clients: LeadClients; leads: LeadService; audit: Audit; realm: string; defaultLocale: Locale }): Router {
  const router = new Router();
  const json = bodyParser({
    enableTypes: ['json'], jsonLimit: '32kb', encoding: 'utf-8',
    onError: (_error, ctx) => { ctx.throw(400, 'invalid json'); },
  });

  router.post(LEADS_API_PATH, async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if ((error as { status?: number }).status === 400 && !isAppError(error)) answer(ctx, 400, { error: 'invalid_request', error_description: 'the body is not valid JSON' });
      else throw error;
    }
  }, json, async (ctx) => {
    const body = ((ctx.request as { body?: unknown }).body ?? {}) as Record<string, unknown>;
    const caller = typeof body === 'object' && body ? await deps.clients.authenticate(ctx.get('authorization') || undefined, body) : undefined;
    if (!caller) {
      deps.audit('lead.api.refused', { reason: 'invalid_client', ip: ctx.ip });
      ctx.set('WWW-Authenticate', `Basic realm="${deps.realm}"`);
      return answer(ctx, 401, { error: 'invalid_client', error_description: 'client authentication failed' });
    }
    if (!caller.site) {
      deps.audit('lead.api.refused', { reason: 'not_enabled', client: caller.clientId });
      return answer(ctx, 403, { error: 'unauthorized_client', error_description: 'this client has no lite_registration metadata' });
    }
    const parsed = leadBody.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return answer(ctx, 400, { error: 'invalid_request', error_description: `${issue?.path.join('.') || 'body'}: ${issue?.message}` });
    }
    const input = { ...parsed.data, locale: parsed.data.locale ?? deps.defaultLocale };
    try {
      await deps.leads.capture({
        clientId: caller.clientId, clientName: caller.site.nameIn(input.locale), policy: caller.site.policy,
        email: input.email, accept: input.consents, attributes: input.attributes, locale: input.locale,
      }, { method: 'lite_api', limit: { name: 'leadPerClient', key: caller.clientId } });
      answer(ctx, 202, { status: 'accepted' });
    } catch (error) {
      if (error instanceof LeadInputError) return answer(ctx, 400, { error: 'invalid_request', error_description: error.code, fields: error.fields });
      if (isAppError(error) && error.status === 429) {
        ctx.set('Retry-After', String((error as { retryAfter?: number }).retryAfter ?? 60));
        return answer(ctx, 429, { error: 'rate_limited', error_description: 'too many leads; try again later' });
      }
      throw error;
    }
  });

  return router;
}
