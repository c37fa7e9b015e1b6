import { z } from 'zod';
import type { SelfService } from '../../account/self-service/self-service.module.ts';
import { AppError } from '../../shared/app-error.ts';
import { defineOperation, type Operation } from '../operation.ts';
import type { AdminDeps } from './admin-deps.ts';

// What the person sees on /account/sessions and /account/apps, for support: sessions with the browser and network
// behind each, connected apps named as the person sees them, and "disconnect" with the same back-channel logout the
// person's own button sends (src/account/self-service). The plain grant revocation stays revokeUserGrant.

const when = z.iso.datetime().describe('RFC 3339 date-time');
const userParams = z.object({ id: z.string().min(1).max(200).describe('the account id') });

const deviceSessionSchema = z.object({
  uid: z.string().describe('the engine session uid'),
  browser: z.string().optional().describe('browser and OS read from the User-Agent, e.g. "Firefox 128 · Windows 10"'),
  platform: z.string().optional().describe('desktop, mobile, tablet ... (bowser)'),
  network: z.string().optional().describe('the network signed in from, coarse: IPv4 /24, IPv6 /48'),
  country: z.string().optional().describe("from the trusted proxy's geo header, when configured"),
  signed_in_at: when.optional(),
  last_seen_at: when.optional(),
  sites: z.number().int().describe('how many clients this session signed in to'),
}).meta({ id: 'SessionDevice' });

const appSchema = z.object({
  grant_id: z.string(), client_id: z.string(), name: z.string().describe('client_name in the default language'),
  scopes: z.array(z.string()), offline: z.boolean().describe('granted offline_access (refresh tokens)'), granted_at: when.optional(),
}).meta({ id: 'ConnectedApp' });

const iso = (d: Date | undefined) => d?.toISOString();

export function selfServiceOperations(deps: AdminDeps & { selfService: Pick<SelfService, 'sessions' | 'apps'>; defaultLocale: 'ja' | 'en' }): Operation[] {
  const { users, selfService } = deps;
  return [
    defineOperation({
      operationId: 'listUserSessionDevices', method: 'get', path: '/users/{id}/session-devices', tag: 'Users', access: 'read',
      summary: 'Sign-in sessions with the browser and network behind each (as on /account/sessions)', params: userParams,
      responses: [{ status: 200, description: 'Sessions', schema: z.object({ items: z.array(deviceSessionSchema) }) }],
      async handle({ params }) {
        await users.get(params.id);
        const items = await selfService.sessions.list(params.id, undefined);
        return { items: items.map((s) => ({
          uid: s.uid, browser: s.label, platform: s.platform, network: s.network, country: s.country,
          signed_in_at: iso(s.signedInAt), last_seen_at: iso(s.lastSeenAt), sites: s.sites,
        })) };
      },
    }),
    defineOperation({
      operationId: 'listUserApps', method: 'get', path: '/users/{id}/apps', tag: 'Users', access: 'read',
      summary: 'Connected apps of the account (grants of clients other than our own, as on /account/apps)', params: userParams,
      responses: [{ status: 200, description: 'Connected apps', schema: z.object({ items: z.array(appSchema) }) }],
      async handle({ params }) {
        await users.get(params.id);
        const items = await selfService.apps.list(params.id, deps.defaultLocale);
        return { items: items.map((a) => ({ grant_id: a.grantId, client_id: a.clientId, name: a.name, scopes: a.scopes, offline: a.offline, granted_at: iso(a.grantedAt) })) };
      },
    }),
    defineOperation({
      operationId: 'disconnectUserApp', method: 'delete', path: '/users/{id}/apps/{itemId}', tag: 'Users', access: 'write',
      summary: 'Disconnect an app: back-channel logout to it, then its grant and every token under it revoked',
      params: userParams.extend({ itemId: z.string().min(1).max(300).describe('the grant id') }),
      responses: [{ status: 204, description: 'Disconnected' }],
      async handle({ params, actor }) {
        await users.get(params.id);
        if (!(await selfService.apps.revoke(params.id, params.itemId, actor))) throw new AppError('grant.not_found', 404);
        return { $status: 204 };
      },
    }),
  ];
}
