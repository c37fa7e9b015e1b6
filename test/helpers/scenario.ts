import { registerRp, type Rp } from './rp.ts';
import { startTestApp, type TestApp } from './test-app.ts';

// The setup most flow tests share: the real app, one verified account, and one registered RP (rp.ts defaults,
// overridable with `rp`). The account is created the way an operator does it (`idp users add --verified`).

export interface Person {
  email: string;
  password: string;
  name?: string;
}

export interface UserAndRp {
  app: TestApp;
  rp: Rp;
  accountId: string;
}

export async function startWithUserAndRp(
  options: Parameters<typeof startTestApp>[0] & { user: Person; rp?: Record<string, unknown> },
): Promise<UserAndRp> {
  const { user, rp: metadata, ...appOptions } = options;
  const app = await startTestApp(appOptions);
  try {
    const account = await app.container.accounts.createByAdmin({ ...user, verified: true });
    return { app, rp: await registerRp(app, metadata), accountId: account._id };
  } catch (error) {
    await app.stop();
    throw error;
  }
}
