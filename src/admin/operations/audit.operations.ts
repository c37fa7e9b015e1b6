import { z } from 'zod';
import { MAX_AUDIT_PAGE } from '../../audit/audit-query.service.ts';
import { defineOperation, type Operation } from '../operation.ts';
import { auditPageSchema } from '../schemas.ts';
import type { AdminDeps } from './admin-deps.ts';

// The stored audit trail (src/audit), newest first: the same query as `idp audit list`.

const auditQuery = z.object({
  account: z.string().max(200).optional().describe('events about this account id'),
  type: z.string().max(100).regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?$/, 'an event type, or a prefix ending in .*').optional(),
  client: z.string().max(200).optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('from this time (inclusive)'),
  until: z.iso.datetime({ offset: true }).optional().describe('before this time'),
  limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).optional().describe(`page size (default 50, at most ${MAX_AUDIT_PAGE})`),
  cursor: z.string().regex(/^[0-9a-f]{24}$/).optional().describe('next_cursor of the previous page'),
}).strict();

export function auditOperations(deps: AdminDeps): Operation[] {
  return [
    defineOperation({
      operationId: 'listAuditEvents', method: 'get', path: '/audit-events', tag: 'Audit', access: 'read',
      summary: 'Audit events by account, type, client and time, a page at a time', query: auditQuery,
      responses: [{ status: 200, description: 'One page of events', schema: auditPageSchema }],
      async handle({ query }) {
        const page = await deps.auditQuery.list({
          accountId: query.account, type: query.type, client: query.client, limit: query.limit, cursor: query.cursor,
          since: query.since ? new Date(query.since) : undefined, until: query.until ? new Date(query.until) : undefined,
        });
        return { items: page.items, ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}) };
      },
    }),
  ];
}
