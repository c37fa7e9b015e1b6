import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { publicAccount } from '../accounts/public-account.ts';
import { createBulkAccounts } from '../accounts/bulk-create.ts';
import { createUserImport } from '../accounts/user-import.ts';
import { AppError } from '../shared/app-error.ts';
import { email as emailSchema } from '../interaction/forms.ts';
import { defineCommand, UsageError, type CommandGroup, type ParsedArgs } from './command.ts';
import { operatorName, withContainer } from './cli-context.ts';

// Customer accounts created by an operator (seed data, support). Output is the public view of an account
// (src/accounts/public-account.ts): a password hash never reaches a terminal or a log.
export { publicAccount };

type Role = 'admin' | 'auditor';
const ROLES: readonly Role[] = ['admin', 'auditor'];

interface NewUser {
  email: string;
  password: string;
  name?: string;
  verified: boolean;
  role?: Role;
}

function parseRole(value: unknown): Role | undefined {
  if (value === undefined) return undefined;
  if (!ROLES.includes(value as Role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return value as Role;
}

function parseNewUser({ values }: ParsedArgs): NewUser {
  const { email, password, name, verified, role } = values as { email?: string; password?: string; name?: string; verified?: boolean; role?: string };
  if (email === undefined || password === undefined) throw new UsageError('users add needs --email and --password');
  const checked = emailSchema.safeParse(email);
  if (!checked.success) throw new UsageError(`not an email address: ${email}`);
  return { email: checked.data, password, verified: verified ?? false, role: parseRole(role), ...(name ? { name } : {}) };
}

function count(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number >= 0`);
  return n;
}

export const usersCommands: CommandGroup = {
  add: defineCommand({
    usage: 'users add --email <email> --password <password> [--name <name>] [--verified] [--role admin|auditor]',
    summary: 'create an account (the email must be new, case-insensitively); --role gives it an admin console role',
    options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, verified: { type: 'boolean' }, role: { type: 'string' } },
    parse: parseNewUser,
    // The same directory call as the admin API's createUser and SCIM's POST /Users.
    run: (user, store) => withContainer(store, async (c) => {
      const actor = { type: 'cli' as const, id: operatorName() };
      const account = await c.users.create({ email: user.email, password: user.password, name: user.name, verified: user.verified }, actor);
      return publicAccount(user.role ? await c.users.setRoles(account._id, [user.role], actor) : account);
    }),
  }),
  role: defineCommand({
    usage: 'users role <account id|email> <admin|auditor|none>',
    summary: 'set the admin console role of an account (admin changes, auditor reads; none removes it)',
    positionals: 2,
    parse: ({ positionals }) => {
      const [who, role] = positionals as [string, string];
      if (role !== 'none' && !ROLES.includes(role as Role)) throw new UsageError('the role must be admin, auditor or none');
      return { who, roles: role === 'none' ? [] : [role as Role] };
    },
    run: ({ who, roles }, store) => withContainer(store, async (c) => {
      const account = who.includes('@') ? await c.accountRepository.findByEmail(who) : await c.accountRepository.findById(who);
      if (!account) throw new AppError('account.not_found', 404);
      return publicAccount(await c.users.setRoles(account._id, roles, { type: 'cli', id: operatorName() }));
    }),
  }),
  export: defineCommand({
    usage: 'users export <account id|email>',
    summary: 'print everything kept about a person as one JSON document (GDPR art. 15/20), without secrets',
    positionals: 1,
    parse: ({ positionals }) => ({ who: positionals[0] as string }),
    run: ({ who }, store) => withContainer(store, async (c) =>
      c.users.exportData((await c.users.resolve(who))._id, { type: 'cli', id: operatorName() })),
  }),
  delete: defineCommand({
    usage: 'users delete <account id|email>',
    summary: 'erase an account from every collection (GDPR art. 17), with back-channel logout to the RPs it was signed in to',
    positionals: 1,
    parse: ({ positionals }) => ({ who: positionals[0] as string }),
    run: ({ who }, store) => withContainer(store, async (c) => {
      const { _id: id } = await c.users.resolve(who);
      const backchannel = await c.users.remove(id, { type: 'cli', id: operatorName() });
      return { deleted: id, backchannelLogout: backchannel };
    }),
  }),
  import: defineCommand({
    usage: 'users import --file <users.ndjson> [--checkpoint <file>] [--restart] [--batch <n>] [--errors <file>]',
    summary: 'import accounts from NDJSON (profile, verified flag, linked identities, password hashes of other systems); resumable, idempotent',
    options: { file: { type: 'string' }, checkpoint: { type: 'string' }, restart: { type: 'boolean' }, batch: { type: 'string' }, errors: { type: 'string' } },
    parse: ({ values }) => {
      const { file, checkpoint, restart, errors } = values as { file?: string; checkpoint?: string; restart?: boolean; errors?: string };
      if (!file) throw new UsageError('users import needs --file');
      const batchSize = count(values.batch, 500, 'batch');
      if (batchSize < 1 || batchSize > 5000) throw new UsageError('--batch must be 1..5000');
      return { file: path.resolve(file), checkpoint: checkpoint && path.resolve(checkpoint), restart: restart ?? false, batchSize, errors };
    },
    run: (input, store) => withContainer(store, async (c) => {
      // Every failed line, one JSON object per line, when asked for (the summary names the first 100).
      const report = input.errors ? createWriteStream(input.errors, { flags: 'w' }) : undefined;
      try {
        const bulk = createBulkAccounts({ models: c.models, schema: c.profile.schema, audit: c.audit });
        return await createUserImport({ users: c.users, bulk, models: c.models, audit: c.audit }).run({
          ...input, actor: { type: 'cli', id: operatorName() }, onError: report && ((error) => report.write(`${JSON.stringify(error)}\n`)),
        });
      } finally {
        await new Promise((resolve) => (report ? report.end(resolve) : resolve(undefined)));
      }
    }),
  }),
  purge: defineCommand({
    usage: 'users purge',
    summary: 'erase the accounts whose deletion grace period (accounts.deletionGraceDays) is over',
    run: (_input, store) => withContainer(store, async (c) => ({ erased: await c.users.purgeScheduled() })),
  }),
  list: defineCommand({
    usage: 'users list [--limit <n>] [--skip <n>]',
    summary: 'list accounts, oldest first (default limit 100)',
    options: { limit: { type: 'string' }, skip: { type: 'string' } },
    parse: ({ values }) => ({ limit: count(values.limit, 100, 'limit'), skip: count(values.skip, 0, 'skip') }),
    run: ({ limit, skip }, store) => withContainer(store, async (c) =>
      (await c.accountRepository.list(limit, skip)).map(publicAccount)),
  }),
};
