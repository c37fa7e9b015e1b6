import { readFileSync } from 'node:fs';
import { CliError, defineCommand, UsageError, type CommandGroup, type ParsedArgs } from './command.ts';
import { withContainer } from './cli-context.ts';

// Upstream identity providers (social login, group-company OIDC IdPs). Stored in MongoDB and read per sign-in, so
// changes apply to a running server at once. Secrets are sealed at rest and never printed.

function connectorJson(args: ParsedArgs): Record<string, unknown> {
  const { json, file } = args.values as { json?: string; file?: string };
  if ((json === undefined) === (file === undefined)) throw new UsageError('connectors add needs exactly one of --json or --file');
  let text = json;
  if (text === undefined) {
    try {
      text = readFileSync(file === '-' ? 0 : file!, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`invalid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError('a connector must be a JSON object');
  return parsed as Record<string, unknown>;
}

export const connectorsCommands: CommandGroup = {
  add: defineCommand({
    usage: "connectors add --json '<connector>' | --file <file.json|->",
    summary: 'add an upstream IdP (preset google|apple|line|yahoo_japan|microsoft|facebook|github, or type oidc|oauth2); prints it with its id and callback URL',
    options: { json: { type: 'string' }, file: { type: 'string' } },
    parse: connectorJson,
    run: (input, store) => withContainer(store, (c) => c.federation.connectors.add(input)),
  }),
  list: defineCommand({
    usage: 'connectors list',
    summary: 'list the upstream IdPs (without secrets)',
    run: (_args, store) => withContainer(store, (c) => c.federation.connectors.list()),
  }),
  remove: defineCommand({
    usage: 'connectors remove <id>',
    summary: 'remove an upstream IdP; its button disappears at once (linked identities are kept)',
    positionals: 1,
    parse: (args) => args.positionals[0]!,
    run: (id, store) => withContainer(store, async (c) => {
      await c.federation.connectors.remove(id);
      return { removed: id };
    }),
  }),
};
