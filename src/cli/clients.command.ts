import { readFileSync } from 'node:fs';
import { CliError, defineCommand, UsageError, type CommandGroup, type ParsedArgs } from './command.ts';
import { withContainer } from './cli-context.ts';

// OIDC clients. They are stored in MongoDB and read by the engine per request, so changes apply to a running
// server at once.

/** The metadata text from --json or --file (`-` is stdin, so secrets need not appear in the process list). */
function metadataSource(values: ParsedArgs['values']): { text: string; origin: string } {
  const { json, file } = values as { json?: string; file?: string };
  if ((json === undefined) === (file === undefined)) throw new UsageError('clients add needs exactly one of --json or --file');
  if (json !== undefined) return { text: json, origin: '--json' };
  try {
    return { text: readFileSync(file === '-' ? 0 : file!, 'utf8'), origin: file! };
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function parseMetadata(args: ParsedArgs): Record<string, unknown> {
  const { text, origin } = metadataSource(args.values);
  let metadata: unknown;
  try {
    metadata = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${origin}: invalid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new CliError(`${origin}: client metadata must be a JSON object`);
  }
  return metadata as Record<string, unknown>;
}

export const clientsCommands: CommandGroup = {
  add: defineCommand({
    usage: "clients add --json '<metadata>' | --file <file.json|->",
    summary: 'register an OIDC client (RFC 7591 metadata + first_party); prints it with client_id and client_secret',
    options: { json: { type: 'string' }, file: { type: 'string' } },
    parse: parseMetadata,
    run: (metadata, store) => withContainer(store, (c) => c.clients.add(metadata)),
  }),
  list: defineCommand({
    usage: 'clients list',
    summary: 'list the registered clients (without secrets)',
    run: (_args, store) => withContainer(store, (c) => c.clients.list()),
  }),
  remove: defineCommand({
    usage: 'clients remove <client_id>',
    summary: 'delete a client; its tokens stop working at once',
    positionals: 1,
    parse: (args) => args.positionals[0]!,
    run: (clientId, store) => withContainer(store, async (c) => {
      await c.clients.remove(clientId);
      return { removed: clientId };
    }),
  }),
};
