import { defineCommand, UsageError, type CommandGroup } from './command.ts';
import { withContainer } from './cli-context.ts';
import { MAX_AUDIT_PAGE, type AuditQuery } from '../audit/audit-query.service.ts';

// The stored audit trail, newest first. `nextCursor` in the output pages on with --cursor.

function date(value: unknown, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = new Date(String(value));
  if (Number.isNaN(parsed.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(String(value))) throw new UsageError(`--${name} must be an ISO 8601 date or time`);
  return parsed;
}

function limit(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_AUDIT_PAGE) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_AUDIT_PAGE}`);
  return n;
}

export const auditCommands: CommandGroup = {
  list: defineCommand<AuditQuery>({
    usage: 'audit list [--account <id>] [--type <event|prefix.*>] [--client <client_id>] [--since <ISO>] [--until <ISO>] [--limit <n>] [--cursor <c>]',
    summary: 'list stored audit events, newest first (default 50, at most 500 per page)',
    options: {
      account: { type: 'string' }, type: { type: 'string' }, client: { type: 'string' },
      since: { type: 'string' }, until: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' },
    },
    parse: ({ values }) => ({
      accountId: values.account as string | undefined,
      type: values.type as string | undefined,
      client: values.client as string | undefined,
      since: date(values.since, 'since'),
      until: date(values.until, 'until'),
      limit: limit(values.limit),
      cursor: values.cursor as string | undefined,
    }),
    run: (query, store) => withContainer(store, (c) => c.auditTrail.query.list(query)),
  }),
};
