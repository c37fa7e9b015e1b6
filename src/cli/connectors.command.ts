import { defineCommand, type CommandGroup } from './command.ts';
import { readJsonObject } from './json-input.ts';
import { withContainer } from './cli-context.ts';

// Upstream identity providers (social login, group-company OIDC IdPs). Stored in MongoDB and read per sign-in, so
// changes apply to a running server at once. Secrets are sealed at rest and never printed.


export const connectorsCommands: CommandGroup = {
  add: defineCommand({
    usage: "connectors add --json '<connector>' | --file <file.json|->",
    summary: 'add an upstream IdP (preset google|apple|line|yahoo_japan|microsoft|facebook|github, or type oidc|oauth2); prints it with its id and callback URL',
    options: { json: { type: 'string' }, file: { type: 'string' } },
    parse: (args) => readJsonObject(args.values, 'connectors add', 'a connector'),
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
