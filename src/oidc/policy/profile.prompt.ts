import { interactionPolicy } from 'oidc-provider';
import type { PolicyContext, ProfileGate } from '../../profile/profile-gate.ts';

// The `profile` prompt, after login (and legal) and before the scope consent: the client's required attributes
// the account lacks (reason `missing_attributes`), else one optional progressive question (reason `progressive`).
// Its error for prompt=none is interaction_required (OIDC Core §3.1.2.6). The details tell the stage what to ask.
const { Prompt, Check } = interactionPolicy;

export function profilePrompt(gate: ProfileGate) {
  const as = (ctx: unknown) => ctx as PolicyContext;
  return new Prompt(
    { name: 'profile', requestable: false },
    new Check(
      'missing_attributes', 'the client requires profile attributes the End-User has not provided',
      async (ctx) => ((await gate.missing(as(ctx))).length ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT),
      async (ctx) => ({ missing: await gate.missing(as(ctx)) }),
    ),
    new Check(
      'progressive', 'the client asks an optional profile question',
      async (ctx) => {
        if ((await gate.missing(as(ctx))).length) return Check.NO_NEED_TO_PROMPT;
        return (await gate.question(as(ctx))) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
      },
      async (ctx) => ({ question: await gate.question(as(ctx)) }),
    ),
  );
}
