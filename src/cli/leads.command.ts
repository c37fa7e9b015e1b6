import { LEAD_STATUSES, type LeadStatus } from '../leads/lead.model.ts';
import { MAX_LEAD_PAGE, publicLead } from '../leads/lead-directory.ts';
import { defineCommand, UsageError, type CommandGroup, type ParsedArgs } from './command.ts';
import { operatorName, withContainer } from './cli-context.ts';

// `idp leads ...`: lite registrations, the same directory as the admin API's /leads (src/leads).

const actor = () => ({ type: 'cli' as const, id: operatorName() });
const idOrEmail = ({ positionals }: ParsedArgs) => positionals[0]!;

interface ListInput {
  status?: LeadStatus;
  email?: string;
  client?: string;
  limit?: number;
}

function parseList({ values }: ParsedArgs): ListInput {
  const status = values.status as string | undefined;
  if (status !== undefined && !(LEAD_STATUSES as readonly string[]).includes(status)) throw new UsageError(`--status must be one of ${LEAD_STATUSES.join(', ')}`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_LEAD_PAGE)) throw new UsageError(`--limit must be 1..${MAX_LEAD_PAGE}`);
  return { status: status as LeadStatus | undefined, email: values.email as string | undefined, client: values.client as string | undefined, limit };
}

export const leadsCommands: CommandGroup = {
  list: defineCommand<ListInput>({
    usage: 'leads list [--status pending|verified|converted] [--email <address>] [--client <client_id>] [--limit N]',
    summary: 'lite registrations (newsletter sign-ups without a password), newest first',
    options: { status: { type: 'string' }, email: { type: 'string' }, client: { type: 'string' }, limit: { type: 'string' } },
    parse: parseList,
    run: (input, store) => withContainer(store, async (c) => (await c.leads.directory.list(input)).items.map(publicLead)),
  }),
  show: defineCommand<string>({
    usage: 'leads show <lead id|email>', summary: 'everything kept about a lead (consents, attributes, unconfirmed submissions)',
    positionals: 1, parse: idOrEmail,
    run: (key, store) => withContainer(store, async (c) => publicLead(await c.leads.directory.resolve(key))),
  }),
  delete: defineCommand<string>({
    usage: 'leads delete <lead id|email>', summary: 'erase a lead and its pending confirmation links (GDPR art. 17)',
    positionals: 1, parse: idOrEmail,
    run: (key, store) => withContainer(store, async (c) => {
      const lead = await c.leads.directory.resolve(key);
      await c.leads.directory.remove(lead._id, actor());
      return { deleted: lead._id };
    }),
  }),
};
