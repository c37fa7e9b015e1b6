import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config.loader.ts';
import { isDatabaseUnavailable } from '../db/connection.ts';
import { isAppError } from '../shared/app-error.ts';
import { auditCommands } from './audit.command.ts';
import { clientsCommands } from './clients.command.ts';
import { consentsDocsCommands } from './consents.command.ts';
import { profileCommands } from './profile.command.ts';
import { connectorsCommands } from './connectors.command.ts';
import { CliError, UsageError, type Command, type CommandGroup, type ParsedArgs } from './command.ts';
import { withStore } from './cli-context.ts';
import { dbCommands } from './db.command.ts';
import { keysCommands } from './keys.command.ts';
import { samlSpsCommands } from './saml.command.ts';
import { usageText } from './usage.ts';
import { usersCommands } from './users.command.ts';
import { webhooksCommands } from './webhooks.command.ts';
import { exportCommands, StreamedToStdout } from './export.command.ts';
import { leadsCommands } from './leads.command.ts';
import { appsCommands, sessionsCommands } from './self-service.command.ts';

// `idp <group> <action> [options]`: resolve the command, check its arguments, then open the store and run it.
// Scripts rely on the contract: JSON on stdout, one `idp: <message>` line on stderr, exit 0 / 1 / 2.

const GROUPS: Record<string, CommandGroup> = {
  clients: clientsCommands,
  users: usersCommands,
  keys: keysCommands,
  db: dbCommands,
  // Two-word groups (`idp consents docs add`, `idp saml sps add`) are looked up before one-word ones.
  'consents docs': consentsDocsCommands,
  profile: profileCommands,
  connectors: connectorsCommands,
  'saml sps': samlSpsCommands,
  audit: auditCommands,
  webhooks: webhooksCommands,
  export: exportCommands,
  leads: leadsCommands,
  sessions: sessionsCommands,
  apps: appsCommands,
};

function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  const flags = end === -1 ? argv : argv.slice(0, end);
  return argv[0] === 'help' || flags.includes('--help') || flags.includes('-h');
}

function findCommand(group: string | undefined, action: string | undefined): Command<unknown> {
  if (group === undefined) throw new UsageError('missing command');
  if (!Object.hasOwn(GROUPS, group)) throw new UsageError(`unknown command '${group}'`);
  const commands = GROUPS[group]!;
  if (action === undefined) throw new UsageError(`missing subcommand: ${group} ${Object.keys(commands).join('|')}`);
  if (!Object.hasOwn(commands, action)) throw new UsageError(`unknown command '${group} ${action}'`);
  return commands[action]!;
}

function parseCommandArgs(command: Command<unknown>, args: string[]): ParsedArgs {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({ args, options: command.options ?? {}, strict: true, allowPositionals: true }) as ParsedArgs;
  } catch (error) {
    // node:util reports unknown flags and missing values as ERR_PARSE_ARGS_*, in one line that also says how to
    // pass a value starting with '-' (after `--`).
    if (!String((error as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) throw error;
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length !== (command.positionals ?? 0)) throw new UsageError(`usage: idp ${command.usage}`);
  return parsed;
}

/** One line for stderr, and the exit status that goes with it. */
export function describeFailure(error: unknown): { message: string; status: number } {
  if (error instanceof UsageError) return { message: `${error.message} (see 'idp help')`, status: 2 };
  if (error instanceof ConfigError) return { message: `invalid configuration: ${error.problems.join('; ')}`, status: 1 };
  if (isAppError(error)) return { message: error.code, status: 1 };
  if (error instanceof CliError) return { message: error.message, status: 1 };
  const message = error instanceof Error ? error.message : String(error);
  return { message: isDatabaseUnavailable(error) ? `MongoDB unreachable: ${message}` : message, status: 1 };
}

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(usageText(GROUPS));
    return 0;
  }
  try {
    const words = argv.length > 1 && Object.hasOwn(GROUPS, `${argv[0]} ${argv[1]}`) ? 2 : 1;
    const command = findCommand(argv.slice(0, words).join(' ') || undefined, argv[words]);
    const args = parseCommandArgs(command, argv.slice(words + 1));
    const input = command.parse ? command.parse(args) : args;
    const name = argv.slice(0, words + 1).join(' ');
    const result = await withStore((store) => command.run(input, { ...store, command: name }));
    // A streamed export owns stdout (its data); its summary (the watermark for the next run) goes to stderr.
    if (result instanceof StreamedToStdout) process.stderr.write(`${JSON.stringify(result.summary)}\n`);
    else process.stdout.write(`${JSON.stringify(result ?? null, null, 2)}\n`);
    return 0;
  } catch (error) {
    const { message, status } = describeFailure(error);
    process.stderr.write(`idp: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return status;
  }
}
