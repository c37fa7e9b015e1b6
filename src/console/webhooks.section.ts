import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { ConsoleAuth, ConsoleUser } from './console-auth.ts';
import { text, confirmation, consoleRoute, type ConsolePages } from './console-page.ts';

// Webhooks: subscriptions (URL, event filter, enabled, and the state of the latest delivery), adding one (the
// secret is shown once, as for client secrets), rotating the secret and removing (both confirmed first), and a
// subscription's delivery log with a replay button per delivery.

const ID = /^wh_[0-9a-f]{24}$/;

/** The event filter as typed: types, noun.* or *, separated by commas, spaces or lines; `*` when left empty. */
export function eventFilter(value: unknown): string[] {
  const entries = (typeof value === 'string' ? value.split(/[,\s]+/) : []).map((v) => v.trim()).filter(Boolean);
  return entries.length ? [...new Set(entries)] : ['*'];
}

/** What the list shows as a subscription's state: disabled, or the outcome of its latest delivery. */
export function subscriptionState(enabled: boolean, latest?: { outcome: string }): string {
  if (!enabled) return 'disabled';
  if (!latest) return 'idle';
  return latest.outcome === 'dead' ? 'dead' : latest.outcome === 'failed' || latest.outcome === 'replay_failed' ? 'failing' : 'healthy';
}

function deliveryView(d: Record<string, any>) {
  return { ...d, dead: d.outcome === 'dead', failure: d.outcome !== 'delivered' && d.outcome !== 'replayed', latency: Math.round(d.latencyMs ?? 0) };
}

export function registerWebhookPages(router: Router, deps: { auth: ConsoleAuth; pages: ConsolePages; form: Middleware[] }) {
  const { auth, pages } = deps;
  const guard = (page: (ctx: Context, user: ConsoleUser) => Promise<void>) => consoleRoute(auth, pages, page);

  async function list(ctx: Context, user: ConsoleUser, extra: Record<string, unknown> = {}, status = 200) {
    const found = await pages.call(ctx, user, 'listWebhooks');
    const items: Array<Record<string, any>> = found.body?.items ?? [];
    const latest = await Promise.all(items.map((s) => pages.call(ctx, user, 'listWebhookDeliveries', { params: { id: s.id }, query: { limit: 1 } })));
    pages.render(ctx, user, 'webhooks', {
      title: 'console.webhooks.title', error: found.error,
      webhooks: items.map((s, i) => ({ ...s, state: subscriptionState(s.enabled, latest[i]!.body?.items?.[0]) })),
      ...extra,
    }, found.ok ? status : found.status);
  }

  router.get('/admin/webhooks', ...deps.form, guard(async (ctx, user) => {
    await list(ctx, user, { done: text(ctx.query.done) ? `console.done.${ctx.query.done}` : undefined });
  }));

  router.post('/admin/webhooks', ...deps.form, guard(async (ctx, user) => {
    const form = (ctx.request.body ?? {}) as Record<string, string>;
    if (form.action !== 'create') return list(ctx, user, { error: { code: 'request.invalid' } }, 400);
    const created = await pages.call(ctx, user, 'createWebhook', {
      body: { url: text(form.url) ?? '', events: eventFilter(form.events), ...(text(form.description) ? { description: text(form.description) } : {}) },
    });
    if (!created.ok) return list(ctx, user, { error: created.error, values: form }, created.status);
    // The secret is shown here, once: listings never carry it.
    pages.render(ctx, user, 'webhook-created', { title: 'console.webhooks.created', webhook: created.body }, 201);
  }));

  async function show(ctx: Context, user: ConsoleUser, id: string, extra: Record<string, unknown> = {}, status = 200) {
    const webhook = ID.test(id) ? await pages.call(ctx, user, 'getWebhook', { params: { id } }) : undefined;
    if (!webhook?.ok) return pages.render(ctx, user, 'not-found', { title: 'console.not_found' }, 404);
    const deliveries = await pages.call(ctx, user, 'listWebhookDeliveries', { params: { id }, query: { limit: 100 } });
    pages.render(ctx, user, 'webhook', {
      title: 'console.webhook.title', webhook: webhook.body, deliveries: (deliveries.body?.items ?? []).map(deliveryView), ...extra,
    }, status);
  }

  router.get('/admin/webhooks/:id', ...deps.form, guard(async (ctx, user) => {
    await show(ctx, user, ctx.params.id!, { done: text(ctx.query.done) ? `console.done.${ctx.query.done}` : undefined });
  }));

  router.post('/admin/webhooks/:id', ...deps.form, guard(async (ctx, user) => {
    const id = ctx.params.id!;
    const form = (ctx.request.body ?? {}) as Record<string, string>;
    const here = `/admin/webhooks/${encodeURIComponent(id)}`;
    if ((form.action === 'delete' || form.action === 'rotate_secret') && form.confirmed !== 'yes') {
      return confirmation(pages, ctx, user, `console.confirm.webhook_${form.action}`, here, [{ name: 'action', value: form.action }]);
    }
    if (form.action === 'rotate_secret') {
      const rotated = await pages.call(ctx, user, 'rotateWebhookSecret', { params: { id } });
      if (!rotated.ok) return show(ctx, user, id, { error: rotated.error }, rotated.status);
      return pages.render(ctx, user, 'webhook-created', { title: 'console.webhooks.rotated', webhook: rotated.body, rotated: true });
    }
    const result = form.action === 'delete' ? await pages.call(ctx, user, 'deleteWebhook', { params: { id } })
      : form.action === 'replay' ? await pages.call(ctx, user, 'replayWebhookDelivery', { params: { id: text(form.item) ?? '' } })
        // Pausing keeps the subscription's place in the event log; resuming delivers what happened meanwhile.
        : form.action === 'disable' || form.action === 'enable'
          ? await pages.call(ctx, user, 'setWebhookEnabled', { params: { id }, body: { enabled: form.action === 'enable' } }) : undefined;
    if (!result) return show(ctx, user, id, { error: { code: 'request.invalid' } }, 400);
    if (!result.ok) return show(ctx, user, id, { error: result.error }, result.status);
    ctx.status = 303;
    ctx.redirect(form.action === 'delete' ? '/admin/webhooks?done=removed' : `${here}?done=${form.action === 'replay' ? 'replayed' : `webhook_${form.action}d`}`);
  }));
}
