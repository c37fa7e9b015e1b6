import type { PolicyContext } from '../profile/profile-gate.ts';
import { legalPolicyOf } from './legal-metadata.ts';
import type { LegalService, Pending } from './legal.service.ts';

// What the engine's `legal` prompt asks (src/oidc/policy/legal.prompt.ts): the client's required documents the
// account has not accepted at their current version. A client without legal documents costs no database work; one
// with documents costs two parallel reads per request, memoized for the check and its details.

export function createLegalGate(legal: LegalService) {
  const memo = new WeakMap<object, Promise<Pending>>();
  const none: Pending = { required: [], optional: [] };

  return {
    pending(ctx: PolicyContext): Promise<Pending> {
      const client = ctx.oidc.client;
      const accountId = ctx.oidc.account?.accountId ?? ctx.oidc.session?.accountId;
      if (!client || !accountId) return Promise.resolve(none);
      const policy = legalPolicyOf(client.metadata());
      if (!policy.required.length) return Promise.resolve(none);
      let pending = memo.get(ctx);
      if (!pending) {
        pending = legal.pending(accountId, policy);
        memo.set(ctx, pending);
      }
      return pending;
    },
  };
}

export type LegalGate = ReturnType<typeof createLegalGate>;
