import { publicAccount } from '../accounts/public-account.ts';
import { email as emailSchema } from '../interaction/forms.ts';
import { defineCommand, UsageError, type CommandGroup, type ParsedArgs } from './command.ts';
import { operatorName, withContainer } from './cli-context.ts';

// Customer accounts created by an operator (seed data, support). Output is the public view of an account
// (src/accounts/public-account.ts): a password hash never reaches a terminal or a log.
export { publicAccount };

interface NewUser {
  email: string;
  password: string;
  name?: string;
  verified: boolean;
}

function parseNewUser({ values }: ParsedArgs): NewUser {
  const { email, password, name, verified } = values as { email?: string; password?: string; name?: string; verified?: boolean };
  if (email === undefined || password === undefined) throw new UsageError('users add needs --email and --password');
  const checked = emailSchema.safeParse(email);
  if (!checked.success) throw new UsageError(`not an email address: ${email}`);
  return { email: checked.data, password, verified: verified ?? false, ...(name ? { name } : {}) };
}

function count(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number >= 0`);
  return n;
}

export const usersCommands: CommandGroup = {
  add: defineCommand({
    usage: 'users add --email <email> --password <password> [--name <name>] [--verified]',
    summary: 'create an account (the email must be new, case-insensitively)',
    options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, verified: { type: 'boolean' } },
    parse: parseNewUser,
    // The same directory call as the admin API's createUser and SCIM's POST /Users.
    run: (user, store) => withContainer(store, async (c) => publicAccount(await c.users.create(
      { email: user.email, password: user.password, name: user.name, verified: user.verified }, { type: 'cli', id: operatorName() },
    ))),
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
