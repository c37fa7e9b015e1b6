import type { Account } from '../accounts/account.repository.ts';
import type { ProfileService, ProgressiveQuestion } from './profile.service.ts';
import { progressivePolicyOf, requiredAttributesFor } from './profile-metadata.ts';

// What the engine's `profile` prompt asks (src/oidc/policy/profile.prompt.ts): the attributes the client requires
// that the account lacks, else at most one progressive question. It reads the account the engine loaded through
// findAccount for this request (no extra MongoDB round trip), falling back to one memoized read.

/** The part of the engine's request context the profile checks read (structural: no engine import here). */
export interface PolicyContext {
  oidc: {
    account?: { accountId: string; record?: Account };
    client?: { clientId: string; metadata(): Record<string, unknown> };
    session?: { accountId?: string };
    requestParamScopes: Set<string>;
    prompts: Set<string>;
    result?: Record<string, unknown>;
  };
}

export interface ProfileGateDeps {
  profile: ProfileService;
  findAccount(id: string): Promise<Account | null>;
}

export function createProfileGate(deps: ProfileGateDeps) {
  const loaded = new WeakMap<object, Promise<Account | null>>();

  function accountOf(ctx: PolicyContext): Promise<Account | null> {
    const record = ctx.oidc.account?.record;
    if (record) return Promise.resolve(record);
    const id = ctx.oidc.account?.accountId ?? ctx.oidc.session?.accountId;
    if (!id) return Promise.resolve(null);
    let pending = loaded.get(ctx);
    if (!pending) {
      pending = deps.findAccount(id);
      loaded.set(ctx, pending);
    }
    return pending;
  }

  return {
    /** Attribute keys (composites expanded) the client requires for this request and the account lacks. */
    async missing(ctx: PolicyContext): Promise<string[]> {
      const client = ctx.oidc.client;
      const account = await accountOf(ctx);
      if (!client || !account) return [];
      const required = requiredAttributesFor(client.metadata().required_attributes, ctx.oidc.requestParamScopes);
      return required.length ? deps.profile.schema.missing(account, required) : [];
    },

    /**
     * One optional question, at most once per sign-in: none when this authorization already showed a profile
     * page, and none for prompt=none (an optional question must never turn into interaction_required).
     */
    async question(ctx: PolicyContext): Promise<ProgressiveQuestion | undefined> {
      const client = ctx.oidc.client;
      if (!client || ctx.oidc.prompts.has('none') || ctx.oidc.result?.profile) return undefined;
      const policy = progressivePolicyOf(client.metadata());
      if (!policy) return undefined;
      const account = await accountOf(ctx);
      return account ? deps.profile.nextQuestion(account, policy) : undefined;
    },

    /** An accepted authorization is one completed sign-in of the account (engine event authorization.accepted). */
    async countSignIn(ctx: PolicyContext): Promise<void> {
      const id = ctx.oidc.session?.accountId;
      if (id) await deps.profile.countSignIn(id);
    },
  };
}

export type ProfileGate = ReturnType<typeof createProfileGate>;
