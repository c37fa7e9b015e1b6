import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { requireSignedIn } from '../account/account.router.ts';
import type { Pages } from '../http/pages.ts';
import type { Audit } from '../shared/audit.ts';
import type { Provider } from '../oidc/provider.ts';
import type { ConsentReceiptService } from './consent-receipt.service.ts';
import type { ConsentRecord } from './consent-record.model.ts';
import { contentFor, type LegalService } from './legal.service.ts';
import { documentId } from './legal-metadata.ts';

// /account/consents: the person's current consents (or as they stood on a past date, `?at=YYYY-MM-DD`), the full
// history, withdrawal of optional ones at once (a new record; nothing is changed), and a signed receipt per
// acceptance. Only the signed-in owner sees or downloads anything: another account's receipt id is a plain 404.

export interface ConsentsAccountDeps {
  provider: () => Provider;
  pages: Pages;
  formMiddleware: Middleware[];
  legal: LegalService;
  receipts: ConsentReceiptService;
  audit: Audit;
}

const withdrawForm = z.object({ document: documentId });
const dateParam = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export function createConsentsAccountRouter(deps: ConsentsAccountDeps): Router {
  const router = new Router();

  async function titles(records: ConsentRecord[], locale: string) {
    const out = new Map<string, string>();
    for (const record of records) {
      const key = `${record.documentId}@${record.version}`;
      if (out.has(key)) continue;
      const version = await deps.legal.findVersion(record.documentId, record.version);
      out.set(key, version ? contentFor(version, locale).title : record.documentId);
    }
    return out;
  }

  async function render(ctx: Context, accountId: string, notice?: string) {
    const at = typeof ctx.query.at === 'string' && dateParam.safeParse(ctx.query.at).success ? ctx.query.at : undefined;
    // A date means "at the end of that day" (UTC), so records made during that day count.
    const overview = await deps.legal.overview(accountId, at ? new Date(`${at}T23:59:59.999Z`) : undefined);
    const locale = deps.pages.locale(ctx);
    const names = await titles(overview.history, locale);
    const row = (r: ConsentRecord) => ({
      id: r._id, document: r.documentId, title: names.get(`${r.documentId}@${r.version}`), version: r.version,
      decision: r.decision, granted: r.decision === 'granted', at: new Date(r.at).toISOString().replace('T', ' ').slice(0, 19),
      method: `legal.methods.${r.method}`, receiptUrl: r.decision === 'granted' ? `/account/consents/receipts/${r._id}` : undefined,
      withdrawable: !at && overview.withdrawable(r),
    });
    deps.pages.render(ctx, 'account/consents', {
      title: 'legal.account_title', at, notice,
      current: overview.asOf.map(row), history: overview.history.map(row),
    });
  }

  router.get('/account/consents', ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (signIn) await render(ctx, signIn.accountId, ctx.query.withdrawn === '1' ? 'legal.withdrawn_notice' : undefined);
  });

  router.post('/account/consents/withdraw', ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    const parsed = withdrawForm.safeParse(ctx.request.body);
    if (!parsed.success) {
      deps.pages.render(ctx, 'pages/error', { code: 'legal.not_withdrawable' }, { status: 400 });
      return;
    }
    await deps.legal.withdraw(signIn.accountId, parsed.data.document, {
      locale: deps.pages.locale(ctx), ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 300) || undefined, method: 'account_page',
    });
    ctx.status = 303;
    ctx.redirect('/account/consents?withdrawn=1');
  });

  router.get('/account/consents/receipts/:id', async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    const record = await deps.legal.findRecord(ctx.params.id ?? '');
    const version = record && record.accountId === signIn.accountId && record.decision === 'granted'
      ? await deps.legal.findVersion(record.documentId, record.version) : null;
    if (!record || !version) {
      deps.pages.render(ctx, 'pages/error', { code: 'legal.receipt_not_found' }, { status: 404 });
      return;
    }
    const client = record.clientId ? await deps.provider().Client.find(record.clientId).catch(() => undefined) : undefined;
    const jwt = await deps.receipts.sign(record, version, client?.metadata().client_name as string | undefined);
    deps.audit('consent_receipt.issued', { accountId: signIn.accountId, recordId: record._id });
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', `attachment; filename="consent-receipt-${record._id}.jwt"`);
    ctx.type = 'application/jwt';
    ctx.body = jwt;
  });

  return router;
}
