import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Config } from '../config/config.schema.ts';
import type { KeyStore } from '../keys/key-store.service.ts';
import type { Audit } from '../shared/audit.ts';
import { adminApiResource, MANAGEMENT_SCOPES } from '../oidc/resource-servers.ts';
import { apiMiddleware } from './api-router.ts';
import { createBearerVerifier } from './bearer-auth.ts';
import { createOperationInvoker } from './operation-invoker.ts';
import { buildOpenApiDocument } from './openapi.ts';
import type { Operation } from './operation.ts';
import type { AdminDeps } from './operations/admin-deps.ts';
import type { ExportModule } from '../export/export.module.ts';
import { auditOperations } from './operations/audit.operations.ts';
import { configurationOperations } from './operations/configuration.operations.ts';
import { userAccessOperations } from './operations/user-access.operations.ts';
import { userOperations } from './operations/users.operations.ts';
import { webhookOperations } from './operations/webhooks.operations.ts';
import { leadOperations } from './operations/leads.operations.ts';
import { selfServiceOperations } from './operations/self-service.operations.ts';
import type { SelfService } from '../account/self-service/self-service.module.ts';

// The admin REST API (/admin/api/v1) and its OpenAPI 3.1 document (/admin/api/openapi.json). Callers are OAuth
// clients holding a client_credentials token of our engine for the admin API's resource indicator.

export const ADMIN_API_PREFIX = '/admin/api/v1';
const ADMIN_SCOPES = { read: [MANAGEMENT_SCOPES.adminRead, MANAGEMENT_SCOPES.admin], write: [MANAGEMENT_SCOPES.admin] };
export const OPENAPI_PATH = '/admin/api/openapi.json';

export function createAdminModule(deps: AdminDeps & {
  config: Config; keyStore: KeyStore; audit: Audit; clientExists: (clientId: string) => Promise<boolean>; version: string; exports: ExportModule;
  /** The person's own session and app actions (src/account/self-service), for support. */
  selfService?: Pick<SelfService, 'sessions' | 'apps'>;
}) {
  const { config } = deps;
  const operations: Operation[] = [
    ...userOperations(deps), ...userAccessOperations(deps), ...configurationOperations(deps), ...auditOperations(deps), ...webhookOperations(deps),
    ...leadOperations(deps),
    ...(deps.selfService ? selfServiceOperations({ ...deps, selfService: deps.selfService, defaultLocale: config.i18n.defaultLocale }) : []),
  ];
  const verifier = createBearerVerifier({
    keyStore: deps.keyStore, issuer: config.issuer, audience: adminApiResource(config.issuer), realm: 'admin', clientExists: deps.clientExists,
  });
  const document = buildOpenApiDocument(operations, {
    title: 'Identity provider admin API',
    version: deps.version,
    description: 'Manage accounts, applications, connectors, legal documents and read the audit trail. '
      + `Get a token: POST ${config.issuer}/token with grant_type=client_credentials, scope=${MANAGEMENT_SCOPES.admin} `
      + `(or ${MANAGEMENT_SCOPES.adminRead}) and your client credentials.`,
    serverUrl: `${config.issuer}${ADMIN_API_PREFIX}`,
    tokenUrl: `${config.issuer}/token`,
    scopes: { read: MANAGEMENT_SCOPES.adminRead, write: MANAGEMENT_SCOPES.admin },
  });
  const documentRouter = new Router();
  documentRouter.get(OPENAPI_PATH, (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = document;
  });
  const api = apiMiddleware({
    prefix: ADMIN_API_PREFIX, baseUrl: `${config.issuer}${ADMIN_API_PREFIX}`, operations, verifier, audit: deps.audit,
    scopes: ADMIN_SCOPES,
  });
  return {
    document,
    operations,
    /** The same operations in-process, for the admin console (src/console). */
    invoker: createOperationInvoker({ operations, baseUrl: `${config.issuer}${ADMIN_API_PREFIX}`, scopes: ADMIN_SCOPES }),
    // The streamed export answers CSV/NDJSON, not JSON: its own route before the JSON router, same tokens and scopes.
    middleware: [documentRouter.routes() as Middleware, deps.exports.router({ authenticate: verifier.authenticate, readScopes: ADMIN_SCOPES.read }), api],
  };
}

export type AdminModule = ReturnType<typeof createAdminModule>;
