import { interactionPolicy } from 'oidc-provider';

// The engine's interaction policy decides *what* the user must do next; our stages in src/interaction/stages
// decide *how*. The order of the prompts is the order of the steps: login first, then what each capability
// adds (MFA, profile completion, legal consents), then the engine's own scope consent last.
//
// A capability adds its prompt as a file in this folder (`<name>.prompt.ts`, exporting a factory that returns an
// engine Prompt built with interactionPolicy.Prompt and Check) and one line in EXTRA_PROMPTS, and registers a stage
// under the same prompt name.
type PromptFactory = () => InstanceType<typeof interactionPolicy.Prompt>;

/** Prompts inserted after `login` and before `consent`, in order. */
const EXTRA_PROMPTS: PromptFactory[] = [];

export function createInteractionPolicy() {
  const policy = interactionPolicy.base();
  const consentIndex = policy.findIndex((prompt) => prompt.name === 'consent');
  EXTRA_PROMPTS.forEach((factory, offset) => policy.add(factory(), consentIndex + offset));
  return policy;
}
