import { interactionPolicy } from 'oidc-provider';
import type { LegalGate } from '../../consents/legal-gate.ts';
import type { ProfileGate } from '../../profile/profile-gate.ts';
import { legalPrompt } from './legal.prompt.ts';
import { profilePrompt } from './profile.prompt.ts';

// The engine's interaction policy decides *what* the user must do next; our stages in src/interaction/stages
// decide *how*. The order of the prompts is the order of the steps: login first, then what each capability
// adds (MFA, profile completion, legal consents), then the engine's own scope consent last.
//
// A capability adds its prompt as a file in this folder (`<name>.prompt.ts`, exporting a factory that returns an
// engine Prompt built with interactionPolicy.Prompt and Check) and one line in EXTRA_PROMPTS, and registers a stage
// under the same prompt name.
// Prompts that need services (account state, consent records) get them from PolicyServices, built in the container.
type PromptFactory = (services: PolicyServices) => InstanceType<typeof interactionPolicy.Prompt>;

/** What the capabilities' checks need, wired in the composition root. */
export interface PolicyServices {
  /** Required attributes and progressive profiling (src/profile). */
  profile: ProfileGate;
  /** Legal documents to accept (src/consents). */
  legal: LegalGate;
}

/** Prompts inserted after `login` and before `consent`, in order. */
const EXTRA_PROMPTS: PromptFactory[] = [
  (services) => legalPrompt(services.legal),
  (services) => profilePrompt(services.profile),
];

export function createInteractionPolicy(services: PolicyServices) {
  const policy = interactionPolicy.base();
  const consentIndex = policy.findIndex((prompt) => prompt.name === 'consent');
  EXTRA_PROMPTS.forEach((factory, offset) => policy.add(factory(services), consentIndex + offset));
  return policy;
}
