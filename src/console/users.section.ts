import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AttributeSchema } from '../profile/attribute-schema.ts';
import type { ConsoleAuth, ConsoleUser } from './console-auth.ts';
import { text, confirmation, consoleRoute, type ConsolePages } from './console-page.ts';

// Users: search (email, email prefix*, name prefix, key=value), a page of results, and one account's page with its
// profile, status, linked identities, factors, sessions (with the browser and network behind each), connected apps,
// grants, consents and audit trail, the actions on them, and the personal data export (a download, audited).
// Destructive actions ask for confirmation first (a second POST with confirmed=yes).

const DESTRUCTIVE = new Set(['block', 'delete', 'reset_factors', 'end_session', 'revoke_grant', 'unlink', 'disconnect_app']);
const PROFILE_KEYS = ['name', 'given_name', 'family_name', 'nickname', 'birthdate', 'gender', 'phone_number', 'locale', 'zoneinfo',
  'address.postal_code', 'address.region', 'address.locality', 'address.street_address'];

/** The search box: an address (exact, or a prefix ending in *), key=value for an attribute, or a name prefix. */
export function searchQuery(q: string): Record<string, string> {
  if (!q) return {};
  if (q.includes('=')) return { attribute: q };
  if (q.includes('@') || q.endsWith('*')) return { email: q };
  return { name: q };
}

export function registerUserPages(router: Router, deps: { auth: ConsoleAuth; pages: ConsolePages; schema: AttributeSchema; form: Middleware[] }) {
  const { auth, pages } = deps;
  const fields = () => [
    ...PROFILE_KEYS.map((key) => deps.schema.get(key)).filter((d) => d !== undefined),
    ...deps.schema.all().filter((d) => !d.standard),
  ];

  router.get('/admin/users', ...deps.form, consoleRoute(auth, pages, async (ctx, user) => {
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.trim().slice(0, 300) : '';
    const cursor = typeof ctx.query.cursor === 'string' ? ctx.query.cursor : undefined;
    const found = await pages.call(ctx, user, 'searchUsers', { query: { ...searchQuery(q), limit: '25', ...(cursor ? { cursor } : {}) } });
    pages.render(ctx, user, 'users', {
      title: 'console.users.title', q, error: found.error,
      users: found.body?.items ?? [], total: found.body?.total ?? 0,
      next: found.body?.next_cursor ? `/admin/users?${new URLSearchParams({ q, cursor: found.body.next_cursor })}` : undefined,
    }, found.ok ? 200 : found.status);
  }));

  async function showUser(ctx: Context, user: ConsoleUser, id: string, extra: Record<string, unknown> = {}, status = 200) {
    const account = await pages.call(ctx, user, 'getUser', { params: { id } });
    if (!account.ok) return pages.render(ctx, user, 'not-found', { title: 'console.not_found' }, 404);
    const params = { id };
    const [sessions, grants, factors, identities, consents, audit, devices, apps] = await Promise.all([
      pages.call(ctx, user, 'listUserSessions', { params }), pages.call(ctx, user, 'listUserGrants', { params }),
      pages.call(ctx, user, 'listUserFactors', { params }), pages.call(ctx, user, 'listUserIdentities', { params }),
      pages.call(ctx, user, 'listUserConsents', { params }), pages.call(ctx, user, 'listAuditEvents', { query: { account: id, limit: '20' } }),
      pages.call(ctx, user, 'listUserSessionDevices', { params }), pages.call(ctx, user, 'listUserApps', { params }),
    ]);
    const a = account.body;
    const valueOf = (key: string) => (key.startsWith('address.') ? a.profile?.address?.[key.slice(8)] : a.profile?.[key] ?? a.custom?.[key]);
    pages.render(ctx, user, 'user', {
      title: 'console.user.title', user: a, blocked: a.status === 'blocked',
      fields: fields().map((d) => ({
        key: d.key, value: (extra.values as Record<string, unknown> | undefined)?.[d.key] ?? valueOf(d.key) ?? '',
        labelKey: d.standard ? d.label : undefined, labelText: d.standard ? undefined : (d.label as Record<string, string>)[pages.locale(ctx)],
        invalid: (extra.error as { field?: string } | undefined)?.field === d.key,
      })),
      sessions: sessions.body?.items ?? [], grants: grants.body?.items ?? [], factors: factors.body?.items ?? [],
      identities: identities.body?.items ?? [], consents: consents.body?.items ?? [], audit: audit.body?.items ?? [],
      devices: devices.body?.items ?? [], apps: apps.body?.items ?? [],
      ...extra,
    }, status);
  }

  /** The personal data export as a download: a POST (it is audited and needs the admin role), never a GET link. */
  async function exportData(ctx: Context, user: ConsoleUser, id: string) {
    const data = await pages.call(ctx, user, 'exportUser', { params: { id } });
    if (!data.ok) return showUser(ctx, user, id, { error: data.error }, data.status);
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', `attachment; filename="personal-data-${id.replace(/[^\w.-]/g, '_')}.json"`);
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(data.body, null, 2);
  }

  router.get('/admin/users/:id', ...deps.form, consoleRoute(auth, pages, async (ctx, user) => {
    await showUser(ctx, user, ctx.params.id!, { done: text(ctx.query.done) ? `console.done.${ctx.query.done}` : undefined });
  }));

  router.post('/admin/users/:id', ...deps.form, consoleRoute(auth, pages, async (ctx, user) => {
    const id = ctx.params.id!;
    const form = (ctx.request.body ?? {}) as Record<string, string>;
    const action = String(form.action ?? '');
    const item = text(form.item);
    if (DESTRUCTIVE.has(action) && form.confirmed !== 'yes') {
      return confirmation(pages, ctx, user, `console.confirm.${action}`, `/admin/users/${encodeURIComponent(id)}`,
        [{ name: 'action', value: action }, ...(item ? [{ name: 'item', value: item }] : [])]);
    }
    const params = { id, ...(item ? { itemId: item } : {}) };
    if (action === 'export') return exportData(ctx, user, id);
    const operation: Record<string, () => Promise<Awaited<ReturnType<ConsolePages['call']>>>> = {
      block: () => pages.call(ctx, user, 'blockUser', { params }),
      unblock: () => pages.call(ctx, user, 'unblockUser', { params }),
      reset_factors: () => pages.call(ctx, user, 'resetUserFactors', { params }),
      send_reset: () => pages.call(ctx, user, 'sendPasswordReset', { params }),
      end_session: () => pages.call(ctx, user, 'endUserSession', { params }),
      revoke_grant: () => pages.call(ctx, user, 'revokeUserGrant', { params }),
      unlink: () => pages.call(ctx, user, 'unlinkUserIdentity', { params }),
      disconnect_app: () => pages.call(ctx, user, 'disconnectUserApp', { params }),
      delete: () => pages.call(ctx, user, 'deleteUser', { params }),
      save: () => pages.call(ctx, user, 'updateUser', { params, body: { attributes: profileInput(form, fields().map((d) => d.key)) } }),
    };
    const run = operation[action];
    if (!run) return showUser(ctx, user, id, { error: { code: 'request.invalid' } }, 400);
    const result = await run();
    if (!result.ok) return showUser(ctx, user, id, { error: result.error, values: action === 'save' ? form : undefined }, result.status);
    ctx.status = 303;
    ctx.redirect(action === 'delete' ? '/admin/users?done=deleted' : `/admin/users/${encodeURIComponent(id)}?done=${action}`);
  }));
}

/** The profile form's values: every shown field, empty ones clear the attribute. */
function profileInput(form: Record<string, string>, keys: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const key of keys) if (key in form) out[key] = form[key]!.trim() === '' ? null : form[key]!;
  return out;
}
