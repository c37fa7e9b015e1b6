import { CliError, defineCommand, type CommandGroup } from './command.ts';
import { readJsonObject } from './json-input.ts';
import { withContainer } from './cli-context.ts';
import { readMetadata } from './saml.command.ts';
import type { AddSamlInput } from '../saml/sp/saml-sp.module.ts';

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
  'add-saml': defineCommand({
    usage: "connectors add-saml --metadata <file|url|-> --name <name> [--id <slug>] [--mapping '<json>'] [--allow-idp-initiated] [--idp-initiated-url <url>] [--email-verified]",
    summary: "add a group company's SAML IdP from its metadata; prints it with our SP metadata and ACS URLs to register there",
    options: {
      metadata: { type: 'string' }, name: { type: 'string' }, id: { type: 'string' }, mapping: { type: 'string' },
      'allow-idp-initiated': { type: 'boolean' }, 'idp-initiated-url': { type: 'string' }, 'email-verified': { type: 'boolean' },
    },
    parse: (args) => {
      const { values } = args;
      if (typeof values.metadata !== 'string' || typeof values.name !== 'string') throw new CliError('connectors add-saml needs --metadata <file|url|-> and --name <name>');
      let mapping: Record<string, unknown> | undefined;
      if (typeof values.mapping === 'string') {
        try {
          mapping = JSON.parse(values.mapping) as Record<string, unknown>;
        } catch (error) {
          throw new CliError(`--mapping: invalid JSON (${(error as Error).message.split('\n')[0]})`);
        }
        if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping)) throw new CliError('--mapping: must be a JSON object (claim -> SAML attribute name)');
      }
      return {
        source: values.metadata, name: values.name, id: values.id as string | undefined, mapping,
        allowIdpInitiated: values['allow-idp-initiated'] === true, idpInitiatedUrl: values['idp-initiated-url'] as string | undefined,
        emailVerified: values['email-verified'] === true,
      };
    },
    run: async ({ source, ...input }: Omit<AddSamlInput, 'metadataXml'> & { source: string }, store) => {
      const metadataXml = await readMetadata(source);
      return withContainer(store, (c) => c.samlSp.addSaml({ ...input, metadataXml }));
    },
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
