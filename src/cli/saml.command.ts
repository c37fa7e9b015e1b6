import { readFileSync } from 'node:fs';
import { BRANDING_OPTIONS, BRANDING_USAGE, brandingFromFlags } from './branding-flags.ts';
import { z } from 'zod';
import { attributeMapping, nameIdFormat, type SpOptions } from '../saml/idp/sp-registry.service.ts';
import { CliError, defineCommand, type CommandGroup, type ParsedArgs } from './command.ts';
import { withContainer } from './cli-context.ts';

// `idp saml sps add|list|remove`: the partner SPs of our SAML IdP (public contract, DESIGN.md). The registry is
// read per request, so a change applies to a running server at once.

const METADATA_MAX_BYTES = 1024 * 1024;

/** Metadata from a file (`-` is stdin) or an http(s) URL (fetched here, once; re-run `add` to refresh). */
export async function readMetadata(source: string): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    const response = await fetch(source, { redirect: 'follow', signal: AbortSignal.timeout(15_000) }).catch((error: Error) => {
      throw new CliError(`cannot fetch ${source}: ${error.message}`);
    });
    if (!response.ok) throw new CliError(`cannot fetch ${source}: HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > METADATA_MAX_BYTES) throw new CliError(`${source}: metadata larger than 1 MiB`);
    return text;
  }
  try {
    return readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** --attributes: a JSON object (claim -> SAML name or {name, nameFormat, friendlyName}), inline or in a file. */
function parseMapping(text: string): SpOptions['attributes'] {
  let raw: unknown;
  try {
    raw = JSON.parse(text.trimStart().startsWith('{') ? text : readFileSync(text, 'utf8'));
  } catch (error) {
    throw new CliError(`--attributes: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = attributeMapping.safeParse(raw);
  if (!parsed.success) throw new CliError(`--attributes: ${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, ' ')}`);
  return parsed.data;
}

interface AddInput {
  metadata: string;
  options: SpOptions;
}

export const samlSpsCommands: CommandGroup = {
  add: defineCommand<AddInput>({
    usage: 'saml sps add --metadata <file|url|-> [--attributes <json|file>] [--nameid persistent|emailAddress|transient|unspecified] [--encrypt] [--sign-response] [--idp-initiated] [--first-party] ' + BRANDING_USAGE,
    summary: 'register (or replace, same entityID) a partner SAML SP from its metadata; effective at once',
    options: {
      metadata: { type: 'string' }, attributes: { type: 'string' }, nameid: { type: 'string' },
      encrypt: { type: 'boolean' }, 'sign-response': { type: 'boolean' }, 'idp-initiated': { type: 'boolean' }, 'first-party': { type: 'boolean' },
      ...BRANDING_OPTIONS,
    },
    parse(args: ParsedArgs): AddInput {
      const values = args.values as Record<string, string | boolean | undefined>;
      if (typeof values.metadata !== 'string') throw new CliError('saml sps add needs --metadata <file|url|->');
      return {
        metadata: values.metadata,
        options: {
          ...(typeof values.attributes === 'string' ? { attributes: parseMapping(values.attributes) } : {}),
          ...(typeof values.nameid === 'string' ? { nameIdFormat: nameIdFormat(values.nameid) } : {}),
          encryptAssertions: values.encrypt === true,
          signResponse: values['sign-response'] === true,
          allowIdpInitiated: values['idp-initiated'] === true,
          firstParty: values['first-party'] === true,
          // The same branding flags as `idp clients add` (src/cli/branding-flags.ts), for the SP's pages.
          branding: brandingFromFlags(values, false),
        },
      };
    },
    run: async (input, store) => {
      const metadata = await readMetadata(input.metadata);
      return withContainer(store, async (c) => {
        const { metadataXml: _xml, _id, ...stored } = await c.saml.sps.add(metadata, input.options);
        return { entityId: _id, ...stored };
      });
    },
  }),
  list: defineCommand({
    usage: 'saml sps list',
    summary: 'list the registered SAML SPs (entityID, endpoints, settings)',
    run: (_args, store) => withContainer(store, (c) => c.saml.sps.list()),
  }),
  remove: defineCommand({
    usage: 'saml sps remove <entityID>',
    summary: 'remove a SAML SP and its internal OIDC client; effective at once',
    positionals: 1,
    parse: (args) => args.positionals[0]!,
    run: (entityId, store) => withContainer(store, async (c) => {
      await c.saml.sps.remove(entityId);
      return { removed: entityId };
    }),
  }),
};
