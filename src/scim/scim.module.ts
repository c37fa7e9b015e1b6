import { z } from 'zod';
import type { Middleware } from 'koa';
import type { AccountModel } from '../accounts/account.model.ts';
import type { UserDirectory } from '../accounts/user-directory.service.ts';
import { apiMiddleware } from '../admin/api-router.ts';
import { createBearerVerifier } from '../admin/bearer-auth.ts';
import { defineOperation, type Operation } from '../admin/operation.ts';
import type { Config } from '../config/config.schema.ts';
import type { GroupService } from '../groups/group.service.ts';
import type { KeyStore } from '../keys/key-store.service.ts';
import type { Audit } from '../shared/audit.ts';
import { MANAGEMENT_SCOPES, scimResource } from '../oidc/resource-servers.ts';
import type { AttributeSchema } from '../profile/attribute-schema.ts';
import { renderScimProblem, scimError } from './scim-error.ts';
import { createScimGroups } from './scim-groups.service.ts';
import { listQuery, patchSchema } from './scim-input.ts';
import { resourceTypes, schemaDocuments, serviceProviderConfig } from './scim-schemas.ts';
import { createScimUsers } from './scim-users.service.ts';

// SCIM 2.0 (RFC 7643, RFC 7644) at /scim/v2 for provisioning from enterprise directories, behind a bearer token of
// our engine with the scope idp:scim for the SCIM resource indicator.

export const SCIM_PREFIX = '/scim/v2';
const SCIM_JSON = 'application/scim+json';

const idParams = z.object({ id: z.string().min(1).max(200) });
const header = (ctx: { get(name: string): string }, name: string) => ctx.get(name) || undefined;

export function createScimModule(deps: {
  config: Config; keyStore: KeyStore; audit: Audit; accounts: AccountModel; users: UserDirectory; groups: GroupService;
  schema: AttributeSchema; clientExists: (clientId: string) => Promise<boolean>;
}) {
  const base = `${deps.config.issuer}${SCIM_PREFIX}`;
  // Only enterprise attributes whose custom attribute exists are kept (and advertised in /Schemas).
  const enterprise = Object.fromEntries(Object.entries(deps.config.scim.enterpriseAttributes).filter(([, key]) => deps.schema.get(key)));
  const users = createScimUsers({ base, accounts: deps.accounts, users: deps.users, groups: deps.groups, enterprise, emailsVerified: deps.config.scim.emailsVerified });
  const groups = createScimGroups({ base, groups: deps.groups, accounts: deps.accounts });
  const mapped = Object.keys(enterprise);

  const created = (resource: { id: string; meta: { location: string; version: string } }) =>
    ({ $status: 201, $body: resource, $headers: { Location: resource.meta.location, ETag: resource.meta.version } });
  const withTag = (resource: { meta: { version: string } }) => ({ $status: 200, $body: resource, $headers: { ETag: resource.meta.version } });
  const op = (operation: Omit<Operation, 'tag' | 'responses'> & { status?: number }) => defineOperation({
    tag: 'SCIM', responses: [{ status: operation.status ?? 200, description: operation.summary }], ...operation,
  });

  const resources = (kind: 'Users' | 'Groups', service: typeof users | typeof groups): Operation[] => [
    op({ operationId: `list${kind}`, method: 'get', path: `/${kind}`, access: 'read', summary: `search ${kind}`, query: listQuery,
      handle: async ({ query }) => service.list(query) }),
    op({ operationId: `create${kind}`, method: 'post', path: `/${kind}`, access: 'write', summary: `create a ${kind}`, body: z.unknown(), status: 201,
      handle: async ({ body, actor }) => created(await service.create(body, actor)) }),
    op({ operationId: `get${kind}`, method: 'get', path: `/${kind}/{id}`, access: 'read', summary: `read a ${kind}`, params: idParams,
      async handle({ params, ctx }) {
        if (kind === 'Groups') return withTag(await groups.get(params.id));
        const { resource, notModified } = await users.get(params.id, header(ctx, 'if-none-match'));
        return notModified ? { $status: 304, $headers: { ETag: resource.meta.version } } : withTag(resource);
      } }),
    op({ operationId: `replace${kind}`, method: 'put', path: `/${kind}/{id}`, access: 'write', summary: `replace a ${kind}`, params: idParams, body: z.unknown(),
      handle: async ({ params, body, actor, ctx }) => withTag(await service.replace(params.id, body, header(ctx, 'if-match'), actor)) }),
    op({ operationId: `patch${kind}`, method: 'patch', path: `/${kind}/{id}`, access: 'write', summary: `modify a ${kind}`, params: idParams, body: patchSchema,
      handle: async ({ params, body, actor, ctx }) => withTag(await service.patch(params.id, body.Operations, header(ctx, 'if-match'), actor)) }),
    op({ operationId: `delete${kind}`, method: 'delete', path: `/${kind}/{id}`, access: 'write', summary: `delete a ${kind}`, params: idParams, status: 204,
      async handle({ params, actor, ctx }) {
        await service.remove(params.id, header(ctx, 'if-match'), actor);
        return { $status: 204 };
      } }),
  ];

  const discovery: Operation[] = [
    op({ operationId: 'serviceProviderConfig', method: 'get', path: '/ServiceProviderConfig', access: 'read', summary: 'what this service supports',
      handle: async () => serviceProviderConfig(base) }),
    op({ operationId: 'resourceTypes', method: 'get', path: '/ResourceTypes', access: 'read', summary: 'resource types',
      handle: async () => listOf(resourceTypes(base, mapped)) }),
    op({ operationId: 'resourceType', method: 'get', path: '/ResourceTypes/{id}', access: 'read', summary: 'one resource type', params: idParams,
      handle: async ({ params }) => resourceTypes(base, mapped).find((r) => r.id === params.id) ?? notFound(`ResourceType ${params.id}`) }),
    op({ operationId: 'schemas', method: 'get', path: '/Schemas', access: 'read', summary: 'schemas', handle: async () => listOf(schemaDocuments(base, mapped)) }),
    op({ operationId: 'schema', method: 'get', path: '/Schemas/{id}', access: 'read', summary: 'one schema', params: z.object({ id: z.string().max(200) }),
      handle: async ({ params }) => schemaDocuments(base, mapped).find((s) => s.id === params.id) ?? notFound(`Schema ${params.id}`) }),
  ];

  const middleware: Middleware = apiMiddleware({
    prefix: SCIM_PREFIX, baseUrl: base, operations: [...discovery, ...resources('Users', users), ...resources('Groups', groups)],
    verifier: createBearerVerifier({ keyStore: deps.keyStore, issuer: deps.config.issuer, audience: scimResource(deps.config.issuer), realm: 'scim', clientExists: deps.clientExists }),
    scopes: { read: [MANAGEMENT_SCOPES.scim], write: [MANAGEMENT_SCOPES.scim] },
    audit: deps.audit, realm: 'scim', jsonType: SCIM_JSON, renderProblem: renderScimProblem, bodyTypes: [SCIM_JSON, 'application/json'],
  });
  return { middleware, enterprise };
}

const listOf = (items: unknown[]) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: items.length, startIndex: 1, itemsPerPage: items.length, Resources: items });
const notFound = (what: string): never => { throw scimError(404, `no ${what}`); };

export type ScimModule = ReturnType<typeof createScimModule>;
