import { newVersionSchema, publicVersion, toNewVersion } from '../consents/legal-document.input.ts';
import { CliError, defineCommand, type CommandGroup, type ParsedArgs } from './command.ts';
import { readJsonInput } from './json-input.ts';
import { withContainer } from './cli-context.ts';

// `idp consents docs add|publish|list`: versions of legal documents. A version is added as a draft (replaceable),
// then published, after which it never changes; the legal prompt uses the newest published version in effect.


function parseNewVersion(args: ParsedArgs) {
  const parsed = newVersionSchema.safeParse(readJsonInput(args.values, 'consents docs add').value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(`invalid document: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return { version: toNewVersion(parsed.data), publish: args.values.publish === true };
}

export const consentsDocsCommands: CommandGroup = {
  add: defineCommand({
    usage: "consents docs add --json '<document version>' | --file <file.json|-> [--publish]",
    summary: 'add (or replace) a draft version of a legal document: {"id","kind","version","effective_at","requires_reacceptance","content":{"ja":{"title","url"|"text"},"en":{...}}}',
    options: { json: { type: 'string' }, file: { type: 'string' }, publish: { type: 'boolean' } },
    parse: parseNewVersion,
    run: ({ version, publish }, store) => withContainer(store, async (c) => {
      const draft = await c.profile.legal.addVersion(version);
      return publicVersion(publish ? await c.profile.legal.publish(draft.documentId, draft.version) : draft);
    }),
  }),
  publish: defineCommand({
    usage: 'consents docs publish <document id> <version>',
    summary: 'publish a draft version; it becomes immutable and, once in effect, is asked for at sign-in',
    positionals: 2,
    parse: (args) => ({ id: args.positionals[0]!, version: args.positionals[1]! }),
    run: ({ id, version }, store) => withContainer(store, async (c) => publicVersion(await c.profile.legal.publish(id, version))),
  }),
  list: defineCommand({
    usage: 'consents docs list',
    summary: 'list every legal document with its versions (drafts and published)',
    run: (_args, store) => withContainer(store, async (c) => (await c.profile.legal.listVersions()).map(publicVersion)),
  }),
};
