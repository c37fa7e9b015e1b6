import { z } from 'zod';
import { publicAccount } from '../../accounts/public-account.ts';
import { MAX_USER_PAGE } from '../../accounts/user-search.ts';
import { email } from '../../interaction/forms.ts';
import { defineOperation, type Operation } from '../operation.ts';
import { idParams, userPageSchema, userSchema } from '../schemas.ts';
import type { AdminDeps } from './admin-deps.ts';

// Accounts: search, create, read, change, block and delete. The same directory service as `idp users`.

const attributes = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .describe('profile attributes by claim name (standard claims and custom attributes), checked by the attribute schema; null or "" clears one');

const searchQuery = z.object({
  email: z.string().max(320).optional().describe('exact address (case-insensitive), or a prefix ending in *'),
  name: z.string().max(200).optional().describe('prefix of the name'),
  attribute: z.string().max(300).regex(/^[A-Za-z0-9_.]+=.*$/, 'key=value').optional().describe('key=value of one attribute'),
  status: z.enum(['active', 'blocked']).optional(),
  external_id: z.string().max(200).optional(),
  group: z.string().max(100).optional().describe('a group id'),
  limit: z.coerce.number().int().min(1).max(MAX_USER_PAGE).optional().describe(`page size (default 50, at most ${MAX_USER_PAGE})`),
  cursor: z.string().max(100).optional().describe('next_cursor of the previous page'),
}).strict();

const createBody = z.object({
  email,
  password: z.string().min(1).max(1024).optional().describe('omit for an account that signs in through a password reset or an upstream'),
  email_verified: z.boolean().default(false),
  external_id: z.string().min(1).max(200).optional(),
  attributes: attributes.optional(),
}).strict();

const updateBody = z.object({
  attributes: attributes.optional(),
  email_verified: z.boolean().optional(),
  external_id: z.string().min(1).max(200).nullable().optional().describe('null removes it'),
}).strict().refine((b) => Object.keys(b).length > 0, 'nothing to change');

export function userOperations(deps: AdminDeps): Operation[] {
  return [...accountRecordOperations(deps), ...accountActionOperations(deps)];
}

/** Search, create, read, change and delete accounts. */
function accountRecordOperations({ users }: AdminDeps): Operation[] {
  const view = publicAccount;
  return [
    defineOperation({
      operationId: 'searchUsers', method: 'get', path: '/users', tag: 'Users', access: 'read',
      summary: 'Find accounts (by email, name, an attribute, status, external id or group), a page at a time',
      query: searchQuery,
      responses: [{ status: 200, description: 'One page of accounts, with the total', schema: userPageSchema }],
      async handle({ query }) {
        const page = await users.search({ ...query, externalId: query.external_id });
        return { items: page.items.map(view), total: page.total, ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}) };
      },
    }),
    defineOperation({
      operationId: 'createUser', method: 'post', path: '/users', tag: 'Users', access: 'write',
      summary: 'Create an account',
      body: createBody,
      responses: [{ status: 201, description: 'The new account', schema: userSchema }],
      async handle({ body, actor, baseUrl }) {
        const account = await users.create({
          email: body.email, password: body.password, verified: body.email_verified, externalId: body.external_id, attributes: body.attributes,
        }, actor);
        return { $status: 201, $body: view(account), $headers: { Location: `${baseUrl}/users/${account._id}` } };
      },
    }),
    defineOperation({
      operationId: 'getUser', method: 'get', path: '/users/{id}', tag: 'Users', access: 'read',
      summary: 'Read an account', params: idParams,
      responses: [{ status: 200, description: 'The account', schema: userSchema }],
      handle: async ({ params }) => view(await users.get(params.id)),
    }),
    defineOperation({
      operationId: 'updateUser', method: 'patch', path: '/users/{id}', tag: 'Users', access: 'write',
      summary: 'Change profile attributes, the verified flag or the external id', params: idParams, body: updateBody,
      responses: [{ status: 200, description: 'The changed account', schema: userSchema }],
      handle: async ({ params, body, actor }) => view(await users.update(params.id, {
        attributes: body.attributes, emailVerified: body.email_verified, externalId: body.external_id,
      }, actor)),
    }),
    defineOperation({
      operationId: 'deleteUser', method: 'delete', path: '/users/{id}', tag: 'Users', access: 'write',
      summary: 'Delete an account and everything kept about it (GDPR art. 17), with back-channel logout to the RPs', params: idParams,
      responses: [{ status: 204, description: 'Deleted' }],
      async handle({ params, actor }) {
        await users.remove(params.id, actor);
        return { $status: 204 };
      },
    }),
  ];
}

/** What an operator does to one account: export its data, block it, set its roles, send a reset. */
function accountActionOperations({ users }: AdminDeps): Operation[] {
  const view = publicAccount;
  return [
    defineOperation({
      operationId: 'exportUser', method: 'get', path: '/users/{id}/export', tag: 'Users', access: 'write',
      summary: 'Everything kept about the person, as one JSON document (GDPR art. 15/20), without secrets',
      description: 'Profile, linked identities (no upstream tokens), factors (no secrets), devices, consent records with '
        + 'signed receipts, sessions, grants, SAML sign-ins and the audit events about the account. Needs idp:admin: it is '
        + 'a data subject request, answered for one person, and audited.',
      params: idParams,
      responses: [{ status: 200, description: 'The personal data export', schema: z.object({ format: z.string() }).loose() }],
      async handle({ params, actor }) {
        return { $status: 200, $body: await users.exportData(params.id, actor), $headers: { 'Cache-Control': 'no-store' } };
      },
    }),
    defineOperation({
      operationId: 'blockUser', method: 'post', path: '/users/{id}/block', tag: 'Users', access: 'write',
      summary: 'Block an account: every session and grant ends, and it cannot sign in', params: idParams,
      responses: [{ status: 200, description: 'The blocked account', schema: userSchema }],
      handle: async ({ params, actor }) => view(await users.setStatus(params.id, 'blocked', actor)),
    }),
    defineOperation({
      operationId: 'unblockUser', method: 'post', path: '/users/{id}/unblock', tag: 'Users', access: 'write',
      summary: 'Let a blocked account sign in again', params: idParams,
      responses: [{ status: 200, description: 'The account', schema: userSchema }],
      handle: async ({ params, actor }) => view(await users.setStatus(params.id, 'active', actor)),
    }),
    defineOperation({
      operationId: 'setUserRoles', method: 'put', path: '/users/{id}/roles', tag: 'Users', access: 'write',
      summary: 'Set the admin console roles of an account (admin: read and write, auditor: read only)', params: idParams,
      body: z.object({ roles: z.array(z.enum(['admin', 'auditor'])).max(2) }).strict(),
      responses: [{ status: 200, description: 'The account', schema: userSchema }],
      handle: async ({ params, body, actor }) => view(await users.setRoles(params.id, body.roles, actor)),
    }),
    defineOperation({
      operationId: 'sendPasswordReset', method: 'post', path: '/users/{id}/password-reset', tag: 'Users', access: 'write',
      summary: 'Mail the person a single-use link to set a new password', params: idParams,
      responses: [{ status: 202, description: 'The mail is on its way' }],
      async handle({ params, actor }) {
        await users.sendPasswordReset(params.id, actor);
        return { $status: 202 };
      },
    }),
  ];
}
