import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { mongo } from 'mongoose';
import { z } from 'zod';
import type { AccountDocument } from '../accounts/account.model.ts';
import type { Config } from '../config/config.schema.ts';
import type { ConsentRecord } from '../consents/consent-record.model.ts';
import type { Models } from '../db/models.ts';
import { requireScope, type BearerPrincipal } from '../admin/bearer-auth.ts';
import { ApiProblem, sendProblem, toProblem } from '../admin/problem.ts';
import type { Audit } from '../shared/audit.ts';
import { exportUsers, type ExportRequest } from './user-export.ts';

// The export as a capability: `idp export users` and a streamed admin API route beside the JSON operations
// (GET /admin/api/v1/exports/users), behind the same bearer tokens and read scope.

export const EXPORT_PATH = '/admin/api/v1/exports/users';

export const exportQuery = z.object({
  format: z.enum(['ndjson', 'csv']).default('ndjson'),
  since: z.string().max(40).optional().describe('the watermark of the previous run'),
  fields: z.string().max(4000).optional().describe('comma-separated column names (default: all)'),
}).strict();

export function createExportModule(deps: { config: Config; models: Models; audit: Audit }) {
  const { config, models } = deps;
  const exportDeps = {
    accounts: models.Account.collection as unknown as mongo.Collection<AccountDocument>,
    consents: models.ConsentRecord.collection as unknown as mongo.Collection<ConsentRecord>,
    documentIds: async () => (await models.LegalDocument.distinct('documentId')).map(String).sort(),
    customKeys: config.profile.customAttributes.map((attribute) => attribute.key),
    settleSeconds: config.export.settleSeconds,
  };
  const users = (request: ExportRequest) => exportUsers(exportDeps, request);

  /** The streamed route; `authenticate` is the admin API's bearer verifier. */
  function router(options: { authenticate: (authorization: string | undefined) => Promise<BearerPrincipal>; readScopes: string[] }): Middleware {
    const routes = new Router();
    routes.get(EXPORT_PATH, async (ctx: Context) => {
      ctx.set('Cache-Control', 'no-store');
      try {
        const principal = await options.authenticate(ctx.get('authorization') || undefined);
        requireScope(principal, options.readScopes);
        const parsed = exportQuery.safeParse(ctx.query);
        if (!parsed.success) throw new ApiProblem(400, 'request.invalid', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        const { format, since, fields } = parsed.data;
        const run = await users({ format, since, fields: fields?.split(',').map((f) => f.trim()).filter(Boolean) });
        deps.audit('export.users', { format, since, actor: { type: 'client', id: principal.clientId } });
        ctx.set('X-Export-Watermark', run.watermark);
        ctx.type = run.contentType;
        ctx.body = run.stream;
      } catch (error) {
        sendProblem(ctx, toProblem(error));
      }
    });
    return routes.routes() as Middleware;
  }

  return { users, router };
}

export type ExportModule = ReturnType<typeof createExportModule>;
