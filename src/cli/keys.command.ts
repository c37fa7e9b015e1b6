import { defineCommand, type CommandGroup } from './command.ts';
import { withContainer } from './cli-context.ts';

// Signing keys. A running server notices a rotation within keys.pollSeconds and rebuilds its engine instance.
export const keysCommands: CommandGroup = {
  rotate: defineCommand({
    usage: 'keys rotate',
    summary: 'promote the next keys to current, retire the current ones (still published until their tokens expire)',
    run: (_args, store) => withContainer(store, (c) => c.keyStore.rotate()),
  }),
  list: defineCommand({
    usage: 'keys list',
    summary: 'list signing keys (kid, alg, status, dates; never private material)',
    run: (_args, store) => withContainer(store, (c) => c.keyStore.list()),
  }),
};
