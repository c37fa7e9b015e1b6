import { interactionPolicy } from 'oidc-provider';
import { adjustPolicyForMfa, createMfaPrompt, type MfaPromptHooks } from './mfa.prompt.ts';

// The engine's interaction policy decides *what* the user must do next; our stages in src/interaction/stages
// decide *how*. The order of the prompts is the order of the steps: login first, then what each capability
// adds (MFA, profile completion, legal consents), then the engine's own scope consent last.
//
// A capability adds its prompt as a file in this folder (`<name>.prompt.ts`, exporting a factory that returns an
// engine Prompt built with interactionPolicy.Prompt and Check) and one line in EXTRA_PROMPTS, and registers a stage
// under the same prompt name.
type PromptFactory = (hooks: PolicyHooks) => InstanceType<typeof interactionPolicy.Prompt> | undefined;
type Policy = ReturnType<typeof interactionPolicy.base>;

/** Services the prompts' checks consult (injected by the composition root through createProvider). */
export interface PolicyHooks {
  mfa?: MfaPromptHooks;
}

/** Prompts inserted after `login` and before `consent`, in order. */
const EXTRA_PROMPTS: PromptFactory[] = [
  (hooks) => (hooks.mfa ? createMfaPrompt(hooks.mfa) : undefined),
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
