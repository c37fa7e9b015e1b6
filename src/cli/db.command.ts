import { ensureSchema } from '../db/schema.ts';
import { defineCommand, type CommandGroup } from './command.ts';
import { withConnection } from './cli-context.ts';

// Explicit schema step for deployments that migrate before rolling out servers. Idempotent.
export const dbCommands: CommandGroup = {
  migrate: defineCommand({
    usage: 'db migrate',
    summary: 'create missing collections and indexes; prints which collections exist and which were created',
    run: (_args, store) => withConnection(store, (connection, models) => ensureSchema(connection, models)),
  }),
};
