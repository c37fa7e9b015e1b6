import { AppError } from '../shared/app-error.ts';
import { CliError, defineCommand, UsageError, type CommandGroup } from './command.ts';
import { withContainer } from './cli-context.ts';
import { publicAccount } from './users.command.ts';

// `idp profile set <account id|email> --json '{"given_name": "花子", "address.postal_code": "100-0001"}'`: an
// operator sets profile attributes, validated by the same attribute schema as the hosted pages (source `admin`).

function parseValues(json: unknown): Record<string, unknown> {
  if (typeof json !== 'string') throw new UsageError('profile set needs --json');
  let values: unknown;
  try {
    values = JSON.parse(json);
  } catch (error) {
    throw new CliError(`--json: invalid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new CliError('--json: must be an object of attribute values');
  return values as Record<string, unknown>;
}

export const profileCommands: CommandGroup = {
  set: defineCommand({
    usage: "profile set <account id|email> --json '{\"<attribute>\": <value>, ...}'",
    summary: 'set profile attributes of an account (standard claims and custom attributes), validated by the attribute schema',
    options: { json: { type: 'string' } },
    positionals: 1,
    parse: (args) => ({ who: args.positionals[0]!, values: parseValues(args.values.json) }),
    run: ({ who, values }, store) => withContainer(store, async (c) => {
      const account = who.includes('@') ? await c.accountRepository.findByEmail(who) : await c.accountRepository.findById(who);
      if (!account) throw new AppError('account.not_found', 404);
      const keys = Object.keys(values);
      const unknown = keys.filter((key) => !c.profile.schema.get(key) || key === 'email');
      if (unknown.length) throw new CliError(`unknown or read-only attributes: ${unknown.join(', ')}`);
      const errors = await c.profile.profile.save(account._id, values, keys, { source: 'admin' });
      if (Object.keys(errors).length) {
        throw new CliError(`invalid values: ${Object.entries(errors).map(([key, code]) => `${key} (${code})`).join(', ')}`);
      }
      return publicAccount((await c.accountRepository.findById(account._id))!);
    }),
  }),
};
