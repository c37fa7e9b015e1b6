import { defineCommand, type CommandGroup } from './command.ts';
import { operatorName, withContainer } from './cli-context.ts';

// An account's sign-in sessions (with the browser and network behind each) and connected apps, for support: the same
// service calls as the person's own /account/sessions and /account/apps (src/account/self-service), so an ended
// session or a disconnected app gets the same back-channel logout and revocation.

const who = { positionals: 1, parse: ({ positionals }: { positionals: string[] }) => ({ who: positionals[0] as string }) };
const operator = () => ({ type: 'cli' as const, id: operatorName() });

export const sessionsCommands: CommandGroup = {
  list: defineCommand({
    usage: 'sessions list <account id|email>',
    summary: "an account's sign-in sessions: browser, network, signed-in and last-seen times, sites",
    ...who,
    run: ({ who: name }, store) => withContainer(store, async (c) =>
      c.selfService.sessions.list((await c.users.resolve(name))._id, undefined)),
  }),
  end: defineCommand({
    usage: 'sessions end <account id|email> <session uid>',
    summary: 'end one session (back-channel logout to its sites); the uid is the one `sessions list` prints',
    positionals: 2,
    parse: ({ positionals }) => ({ who: positionals[0] as string, uid: positionals[1] as string }),
    run: ({ who: name, uid }, store) => withContainer(store, async (c) => {
      const id = (await c.users.resolve(name))._id;
      return { ended: await c.selfService.sessions.endOne(id, uid, operator()) };
    }),
  }),
  'end-all': defineCommand({
    usage: 'sessions end-all <account id|email>',
    summary: 'end every session of an account, each with its back-channel logout',
    ...who,
    run: ({ who: name }, store) => withContainer(store, async (c) => {
      const id = (await c.users.resolve(name))._id;
      return { ended: await c.selfService.sessions.endOthers(id, undefined, operator()) };
    }),
  }),
};

export const appsCommands: CommandGroup = {
  list: defineCommand({
    usage: 'apps list <account id|email>',
    summary: "an account's connected apps (OIDC grants of clients other than our own) and its SAML SP sessions",
    ...who,
    run: ({ who: name }, store) => withContainer(store, async (c) => {
      const id = (await c.users.resolve(name))._id;
      return { apps: await c.selfService.apps.list(id, c.config.i18n.defaultLocale), saml: await c.selfService.apps.samlApps(id) };
    }),
  }),
  revoke: defineCommand({
    usage: 'apps revoke <account id|email> <grant id>',
    summary: "disconnect an app: its grant and every token under it revoked, back-channel logout to it",
    positionals: 2,
    parse: ({ positionals }) => ({ who: positionals[0] as string, grantId: positionals[1] as string }),
    run: ({ who: name, grantId }, store) => withContainer(store, async (c) => {
      const id = (await c.users.resolve(name))._id;
      return { revoked: await c.selfService.apps.revoke(id, grantId, operator()) };
    }),
  }),
};
