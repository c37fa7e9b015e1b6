import { defineCommand, UsageError, type CommandGroup } from './command.ts';
import { BRANDING_OPTIONS, BRANDING_USAGE, brandingFromFlags } from './branding-flags.ts';
import { readJsonObject } from './json-input.ts';
import { withContainer } from './cli-context.ts';

// OIDC clients. They are stored in MongoDB and read by the engine per request, so changes apply to a running
// server at once.



export const clientsCommands: CommandGroup = {
  add: defineCommand({
    usage: `clients add --json '<metadata>' | --file <file.json|-> [--profile fapi2] ${BRANDING_USAGE}`,
    summary: 'register an OIDC client (RFC 7591 metadata + first_party); prints it with client_id and client_secret; '
      + '--profile fapi2 gives it the FAPI 2.0 grade (security_profile; needs jwks or jwks_uri)',
    options: { json: { type: 'string' }, file: { type: 'string' }, profile: { type: 'string' }, ...BRANDING_OPTIONS },
    parse: (args) => {
      // The branding flags add to (and win over) the JSON metadata.
      const metadata = { ...readJsonObject(args.values, 'clients add', 'client metadata'), ...brandingFromFlags(args.values, false) };
      const profile = args.values.profile;
      if (profile === undefined) return metadata;
      if (profile !== 'fapi2') throw new UsageError(`clients add: --profile must be fapi2, not ${String(profile)}`);
      return { ...metadata, security_profile: profile };
    },
    run: (metadata, store) => withContainer(store, (c) => c.clients.add(metadata)),
  }),
  update: defineCommand({
    usage: `clients update <client_id> [--json '<changes>' | --file <file.json|->] ${BRANDING_USAGE}`,
    summary: 'change client metadata (keys given replace the stored ones; null or an empty flag value removes one); effective at once',
    options: { json: { type: 'string' }, file: { type: 'string' }, ...BRANDING_OPTIONS },
    positionals: 1,
    parse: (args) => {
      const json = args.values.json !== undefined || args.values.file !== undefined ? readJsonObject(args.values, 'clients update', 'client metadata') : {};
      const changes = { ...json, ...brandingFromFlags(args.values, true) };
      if (!Object.keys(changes).length) throw new UsageError('clients update needs --json, --file or a branding flag');
      return { clientId: args.positionals[0]!, changes };
    },
    run: ({ clientId, changes }, store) => withContainer(store, (c) => c.clients.update(clientId, changes)),
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
