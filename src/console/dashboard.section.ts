import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AccountModel } from '../accounts/account.model.ts';
import type { AuditEventModel } from '../audit/audit-event.model.ts';
import type { ConsoleAuth } from './console-auth.ts';
import { consoleRoute, type ConsolePages } from './console-page.ts';
import { barChart } from './svg-chart.ts';
import { Types } from 'mongoose';

// The dashboard: sign-ins, sign-ups, MFA challenges and MFA failures per day over the last 30 days (from the stored
// audit trail, one aggregation), drawn as server-rendered SVG (no script), and the accounts active in that time.

const DAYS = 30;
const SERIES = [
  { key: 'signIns', label: 'console.dashboard.sign_ins', types: ['login.succeeded', 'federation.upstream.succeeded'] },
  { key: 'signUps', label: 'console.dashboard.sign_ups', types: ['account.created', 'user.created'] },
  { key: 'mfaChallenges', label: 'console.dashboard.mfa_challenges', types: ['mfa.challenge.succeeded', 'mfa.challenge.failed'] },
  { key: 'mfaFailures', label: 'console.dashboard.mfa_failures', types: ['mfa.challenge.failed'] },
];

export async function dailyCounts(events: AuditEventModel, now = new Date()) {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (DAYS - 1)));
  const types = [...new Set(SERIES.flatMap((s) => s.types))];
  const rows = await events.aggregate<{ _id: { day: string; type: string }; n: number }>([
    { $match: { _id: { $gte: Types.ObjectId.createFromTime(Math.floor(start.getTime() / 1000)) }, type: { $in: types } } },
    { $group: { _id: { day: { $dateToString: { format: '%Y-%m-%d', date: '$at' } }, type: '$type' }, n: { $sum: 1 } } },
  ]).exec();
  const days = Array.from({ length: DAYS }, (_, i) => new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10));
  return SERIES.map((series) => ({
    ...series,
    values: days.map((day) => ({ day, n: rows.filter((r) => r._id.day === day && series.types.includes(r._id.type)).reduce((sum, r) => sum + r.n, 0) })),
  }));
}

/** Accounts with a sign-in in the last 30 days, from the audit trail (a sign-in writes nothing else for this). */
export async function activeAccounts(events: AuditEventModel, now = new Date()): Promise<number> {
  const since = Types.ObjectId.createFromTime(Math.floor(now.getTime() / 1000) - DAYS * 86_400);
  const ids = await events.distinct('accountId', { type: { $in: SERIES[0]!.types }, _id: { $gte: since } }).exec();
  return ids.filter(Boolean).length;
}

export function registerDashboard(router: Router, deps: { auth: ConsoleAuth; pages: ConsolePages; form: Middleware[]; events: AuditEventModel; accounts: AccountModel }) {
  router.get('/admin', ...deps.form, consoleRoute(deps.auth, deps.pages, async (ctx, user) => {
    const [series, activeUsers, totalUsers] = await Promise.all([
      dailyCounts(deps.events), activeAccounts(deps.events), deps.accounts.estimatedDocumentCount().exec(),
    ]);
    deps.pages.render(ctx, user, 'dashboard', {
      title: 'console.dashboard.title', activeUsers, totalUsers,
      charts: series.map((s) => ({ key: s.key, label: s.label, total: s.values.reduce((sum, v) => sum + v.n, 0), chart: barChart(s.values) })),
    });
  }));
}
