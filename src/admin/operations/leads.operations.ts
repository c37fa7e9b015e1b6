import { z } from 'zod';
import { LEAD_METHODS, LEAD_STATUSES } from '../../leads/lead.model.ts';
import { MAX_LEAD_PAGE, publicLead } from '../../leads/lead-directory.ts';
import { defineOperation, type Operation } from '../operation.ts';
import type { AdminDeps } from './admin-deps.ts';

// Lite registrations (leads): list, read, delete. The same directory as `idp leads ...` (src/leads).

const when = z.iso.datetime();
const consent = z.object({
  id: z.string().describe('receipt id of the lead\'s consent'), document: z.string(), version: z.string(), kind: z.string(), at: when,
  client: z.string(), locale: z.string(), method: z.enum(LEAD_METHODS), ip: z.string().optional(), user_agent: z.string().optional(),
});
const attributes = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).describe('attribute values by claim name');
export const leadSchema = z.object({
  id: z.string(),
  email: z.string().optional().describe('absent once converted (the address lives on the account)'),
  status: z.enum(LEAD_STATUSES),
  consents: z.array(consent).describe('confirmed consents (their submission\'s mailed link was opened)'),
  attributes: attributes.describe('confirmed attribute values'),
  unconfirmed: z.array(z.object({
    id: z.string(), client: z.string(), at: when, method: z.enum(LEAD_METHODS), consents: z.array(consent), attributes,
  })).describe('submissions waiting for their mailed link; never carried into an account'),
  sources: z.array(z.string()).describe('clients whose forms sent this address'),
  account_id: z.string().optional().describe('the account the lead was carried into'),
  created_at: when, verified_at: when.optional(), converted_at: when.optional(),
  expires_at: when.optional().describe('when an unconfirmed lead is removed'),
}).meta({ id: 'Lead' });

const listQuery = z.object({
  status: z.enum(LEAD_STATUSES).optional(),
  email: z.string().max(320).optional().describe('exact address (case-insensitive)'),
  client: z.string().max(128).optional().describe('leads sent by this client'),
  limit: z.coerce.number().int().min(1).max(MAX_LEAD_PAGE).optional().describe(`page size (default 50, at most ${MAX_LEAD_PAGE})`),
  cursor: z.string().max(100).optional().describe('next_cursor of the previous page'),
}).strict();
const leadParams = z.object({ id: z.string().regex(/^ld_[0-9a-f]{24}$/).describe('the lead id') });

export function leadOperations({ leads }: AdminDeps): Operation[] {
  return [
    defineOperation({
      operationId: 'listLeads', method: 'get', path: '/leads', tag: 'Leads', access: 'read',
      summary: 'Lite registrations (newsletter sign-ups without a password), newest first', query: listQuery,
      responses: [{ status: 200, description: 'One page of leads', schema: z.object({ items: z.array(leadSchema), next_cursor: z.string().optional() }).meta({ id: 'LeadPage' }) }],
      async handle({ query }) {
        const page = await leads.list(query);
        return { items: page.items.map(publicLead), ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}) };
      },
    }),
    defineOperation({
      operationId: 'getLead', method: 'get', path: '/leads/{id}', tag: 'Leads', access: 'read',
      summary: 'Read a lead: everything kept about it (GDPR art. 15 for a person without an account)', params: leadParams,
      responses: [{ status: 200, description: 'The lead', schema: leadSchema }],
      handle: async ({ params }) => publicLead(await leads.get(params.id)),
    }),
    defineOperation({
      operationId: 'deleteLead', method: 'delete', path: '/leads/{id}', tag: 'Leads', access: 'write',
      summary: 'Erase a lead and its pending confirmation links (GDPR art. 17)', params: leadParams,
      responses: [{ status: 204, description: 'Erased' }],
      async handle({ params, actor }) {
        await leads.remove(params.id, actor);
        return { $status: 204 };
      },
    }),
  ];
}
