import { interactionPolicy } from 'oidc-provider';
import type { LegalGate } from '../../consents/legal-gate.ts';
import type { PolicyContext } from '../../profile/profile-gate.ts';

// The `legal` prompt, right after login: required legal documents of the client not yet accepted at their current
// version (reason `documents_required`). Optional documents are offered on the same page, never prompted alone.
// With prompt=none the client receives interaction_required (OIDC Core §3.1.2.6).
const { Prompt, Check } = interactionPolicy;

export function legalPrompt(gate: LegalGate) {
  const pendingOf = (ctx: unknown) => gate.pending(ctx as PolicyContext);
  return new Prompt(
    { name: 'legal', requestable: false },
    new Check(
      'documents_required', 'the End-User has not accepted the current version of required legal documents',
      async (ctx) => ((await pendingOf(ctx)).required.length ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT),
      async (ctx) => {
        const pending = await pendingOf(ctx);
        return { required: pending.required.map((s) => s.documentId), optional: pending.optional.map((s) => s.documentId) };
      },
    ),
  );
}
