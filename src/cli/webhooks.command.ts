import { defineCommand, UsageError, type CommandGroup, type ParsedArgs } from './command.ts';
import { operatorName, withContainer } from './cli-context.ts';

// `idp webhooks ...`: the same service as the admin API's /webhooks operations (src/webhooks).

const actor = () => ({ type: 'cli' as const, id: operatorName() });
const id = ({ positionals }: ParsedArgs) => positionals[0]!;

export const webhooksCommands: CommandGroup = {
  add: defineCommand<{ url: string; events: string[]; secret?: string; description?: string }>({
    usage: "webhooks add --url <url> --events 'user.*,consent.*' [--secret whsec_...] [--description <text>]",
    summary: 'subscribe a URL to events; prints the subscription with its signing secret',
    options: { url: { type: 'string' }, events: { type: 'string' }, secret: { type: 'string' }, description: { type: 'string' } },
    parse: ({ values }) => {
      if (typeof values.url !== 'string' || typeof values.events !== 'string') throw new UsageError('--url and --events are required');
      return {
        url: values.url, events: values.events.split(',').map((entry) => entry.trim()).filter(Boolean),
        secret: values.secret as string | undefined, description: values.description as string | undefined,
      };
    },
    run: (input, store) => withContainer(store, (c) => c.events.webhooks.add(input, actor())),
  }),
  list: defineCommand({
    usage: 'webhooks list', summary: 'list subscriptions (without secrets)',
    run: (_input, store) => withContainer(store, (c) => c.events.webhooks.list()),
  }),
  remove: defineCommand<string>({
    usage: 'webhooks remove <id>', summary: 'remove a subscription', positionals: 1, parse: id,
    run: (webhookId, store) => withContainer(store, async (c) => { await c.events.webhooks.remove(webhookId, actor()); return { removed: webhookId }; }),
  }),
  deliveries: defineCommand<string>({
    usage: 'webhooks deliveries <id>', summary: 'the delivery log of a subscription, newest first (status code, latency, attempt, error)',
    positionals: 1, parse: id,
    run: (webhookId, store) => withContainer(store, (c) => c.events.webhooks.deliveries(webhookId, 100)),
  }),
  replay: defineCommand<string>({
    usage: 'webhooks replay <delivery id>', summary: 'send the event of a logged delivery again, now (same webhook-id)',
    positionals: 1, parse: id,
    run: (deliveryId, store) => withContainer(store, (c) => c.events.webhooks.replay(deliveryId, actor())),
  }),
  // A paused subscription keeps its place in the event log: enabling it again delivers what happened meanwhile.
  enable: defineCommand<string>({
    usage: 'webhooks enable <id>', summary: 'resume deliveries (from where the subscription stopped)', positionals: 1, parse: id,
    run: (webhookId, store) => withContainer(store, (c) => c.events.webhooks.setEnabled(webhookId, true, actor())),
  }),
  disable: defineCommand<string>({
    usage: 'webhooks disable <id>', summary: 'pause deliveries; events wait in the log until it is enabled again', positionals: 1, parse: id,
    run: (webhookId, store) => withContainer(store, (c) => c.events.webhooks.setEnabled(webhookId, false, actor())),
  }),
  'rotate-secret': defineCommand<string>({
    usage: 'webhooks rotate-secret <id>', summary: 'new signing secret; the old one keeps signing beside it during webhooks.secretOverlapSeconds',
    positionals: 1, parse: id,
    run: (webhookId, store) => withContainer(store, (c) => c.events.webhooks.rotateSecret(webhookId, actor())),
  }),
};
