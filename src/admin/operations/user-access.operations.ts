import { z } from 'zod';
import { defineOperation, type Operation } from '../operation.ts';
import { consentRecordSchema, factorSchema, grantSchema, identitySchema, sessionSchema } from '../schemas.ts';
import type { AdminDeps } from './admin-deps.ts';

// What an account holds: sign-in sessions, app grants, second factors, linked upstream identities and legal
// consent records; and the support actions on them (end, revoke, reset, unlink).

const userParams = z.object({ id: z.string().min(1).max(200).describe('the account id') });
const itemParams = (what: string) => userParams.extend({ itemId: z.string().min(1).max(300).describe(`the ${what} id`) });

export function userAccessOperations(deps: AdminDeps): Operation[] {
  const { users, sessions, mfa, federation, consentRecords } = deps;
  const known = async (id: string) => { await users.get(id); };
  return [
    defineOperation({
      operationId: 'listUserSessions', method: 'get', path: '/users/{id}/sessions', tag: 'Users', access: 'read',
      summary: 'Active sign-in sessions of an account', params: userParams,
      responses: [{ status: 200, description: 'Sessions', schema: z.object({ items: z.array(sessionSchema) }) }],
      async handle({ params }) {
        await known(params.id);
        const items = await sessions.listSessions(params.id);
        return { items: items.map((s) => ({ id: s.id, login_at: s.loginAt, acr: s.acr, amr: s.amr, clients: s.clients, expires_at: s.expiresAt })) };
      },
    }),
    defineOperation({
      operationId: 'endUserSession', method: 'delete', path: '/users/{id}/sessions/{itemId}', tag: 'Users', access: 'write',
      summary: 'End one session (that browser is signed out)', params: itemParams('session'),
      responses: [{ status: 204, description: 'Ended' }],
      async handle({ params, actor }) {
        await users.endSession(params.id, params.itemId, actor);
        return { $status: 204 };
      },
    }),
    defineOperation({
      operationId: 'endAllUserSessions', method: 'delete', path: '/users/{id}/sessions', tag: 'Users', access: 'write',
      summary: 'End every session of an account', params: userParams,
      responses: [{ status: 200, description: 'How many ended', schema: z.object({ ended: z.number().int() }) }],
      handle: async ({ params, actor }) => ({ ended: await users.endAllSessions(params.id, actor) }),
    }),
    defineOperation({
      operationId: 'listUserGrants', method: 'get', path: '/users/{id}/grants', tag: 'Users', access: 'read',
      summary: 'Apps the account has granted access to', params: userParams,
      responses: [{ status: 200, description: 'Grants', schema: z.object({ items: z.array(grantSchema) }) }],
      async handle({ params }) {
        await known(params.id);
        const items = await sessions.listGrants(params.id);
        return { items: items.map((g) => ({ id: g.id, client: g.client, scope: g.scope, resources: g.resources, created_at: g.createdAt, expires_at: g.expiresAt })) };
      },
    }),
    defineOperation({
      operationId: 'revokeUserGrant', method: 'delete', path: '/users/{id}/grants/{itemId}', tag: 'Users', access: 'write',
      summary: "Revoke an app's grant and every token issued under it", params: itemParams('grant'),
      responses: [{ status: 204, description: 'Revoked' }],
      async handle({ params, actor }) {
        await users.revokeGrant(params.id, params.itemId, actor);
        return { $status: 204 };
      },
    }),
    defineOperation({
      operationId: 'listUserFactors', method: 'get', path: '/users/{id}/factors', tag: 'Users', access: 'read',
      summary: 'Second factors of an account (never their secrets)', params: userParams,
      responses: [{ status: 200, description: 'Factors', schema: z.object({ items: z.array(factorSchema) }) }],
      async handle({ params }) {
        await known(params.id);
        const items = await mfa.list(params.id);
        return { items: items.map((f) => ({ id: f.id, type: f.type, name: f.name, created_at: f.createdAt, last_used_at: f.lastUsedAt })) };
      },
    }),
    defineOperation({
      operationId: 'resetUserFactors', method: 'delete', path: '/users/{id}/factors', tag: 'Users', access: 'write',
      summary: 'Remove every second factor and remembered device (the person enrols again)', params: userParams,
      responses: [{ status: 200, description: 'How many factors were removed', schema: z.object({ removed: z.number().int() }) }],
      handle: async ({ params, actor }) => ({ removed: await users.resetFactors(params.id, actor) }),
    }),
    defineOperation({
      operationId: 'listUserIdentities', method: 'get', path: '/users/{id}/identities', tag: 'Users', access: 'read',
      summary: 'Upstream identities (social login, group IdPs) linked to the account', params: userParams,
      responses: [{ status: 200, description: 'Linked identities', schema: z.object({ items: z.array(identitySchema) }) }],
      async handle({ params }) {
        await known(params.id);
        const items = await federation.linking.identitiesOf(params.id);
        return { items: items.map((i) => ({ id: i._id, connector: i.connectorId, subject: i.subject, email: i.email, created_at: i.createdAt, last_used_at: i.lastUsedAt })) };
      },
    }),
    defineOperation({
      operationId: 'unlinkUserIdentity', method: 'delete', path: '/users/{id}/identities/{itemId}', tag: 'Users', access: 'write',
      summary: "Unlink an upstream identity (refused when it is the account's last way to sign in)", params: itemParams('identity'),
      responses: [{ status: 204, description: 'Unlinked' }],
      async handle({ params, actor }) {
        await users.unlinkIdentity(params.id, params.itemId, actor);
        return { $status: 204 };
      },
    }),
    defineOperation({
      operationId: 'listUserConsents', method: 'get', path: '/users/{id}/consents', tag: 'Users', access: 'read',
      summary: 'Legal consent records of the account, newest first (append-only history)', params: userParams,
      responses: [{ status: 200, description: 'Consent records', schema: z.object({ items: z.array(consentRecordSchema) }) }],
      async handle({ params }) {
        await known(params.id);
        const items = await consentRecords.history(params.id);
        return { items: items.map((r) => ({ id: r._id, document: r.documentId, version: r.version, kind: r.kind, decision: r.decision, at: r.at, client: r.clientId, locale: r.locale, method: r.method })) };
      },
    }),
  ];
}
