import { interactionPolicy } from 'oidc-provider';
import type { LegalGate } from '../../consents/legal-gate.ts';
import type { ProfileGate } from '../../profile/profile-gate.ts';
import { legalPrompt } from './legal.prompt.ts';
import { adjustPolicyForMfa, createMfaPrompt, type MfaPromptHooks } from './mfa.prompt.ts';
import { profilePrompt } from './profile.prompt.ts';

// The engine's interaction policy decides *what* the user must do next; our stages in src/interaction/stages
// decide *how*. The order of the prompts is the order of the steps: login, then MFA (who you are, at the level
// asked), then legal documents and profile completion (what this site needs), then the engine's scope consent.
//
// A capability adds its prompt as a file in this folder (`<name>.prompt.ts`, exporting a factory that returns an
// engine Prompt built with interactionPolicy.Prompt and Check) and one line in EXTRA_PROMPTS, and registers a stage
// under the same prompt name. Its checks get the services they need through PolicyHooks.
type PromptFactory = (hooks: PolicyHooks) => InstanceType<typeof interactionPolicy.Prompt> | undefined;
type Policy = ReturnType<typeof interactionPolicy.base>;

/** Services the prompts' checks consult, wired in the composition root and passed through createProvider. */
export interface PolicyHooks {
  /** Client MFA policy, step-up and risk (src/mfa). */
  mfa?: MfaPromptHooks;
  /** Legal documents to accept (src/consents). */
  legal?: LegalGate;
  /** Required attributes and progressive profiling (src/profile). */
  profile?: ProfileGate;
}

/** Prompts inserted after `login` and before `consent`, in order; a capability that is not wired adds nothing. */
const EXTRA_PROMPTS: PromptFactory[] = [
  (hooks) => (hooks.mfa ? createMfaPrompt(hooks.mfa) : undefined),
  (hooks) => (hooks.legal ? legalPrompt(hooks.legal) : undefined),
  (hooks) => (hooks.profile ? profilePrompt(hooks.profile) : undefined),
];

/** Changes a capability makes to the engine's own prompts. */
const ADJUSTMENTS: Array<(policy: Policy, hooks: PolicyHooks) => void> = [
  (policy, hooks) => hooks.mfa && adjustPolicyForMfa(policy),
];

export function createInteractionPolicy(hooks: PolicyHooks = {}) {
  const policy = interactionPolicy.base();
  const consentIndex = policy.findIndex((prompt) => prompt.name === 'consent');
  const prompts = EXTRA_PROMPTS.map((factory) => factory(hooks)).filter((prompt) => prompt !== undefined);
  prompts.forEach((prompt, offset) => policy.add(prompt, consentIndex + offset));
  ADJUSTMENTS.forEach((adjust) => adjust(policy, hooks));
  return policy;
}
