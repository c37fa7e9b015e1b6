import { interactionPolicy } from 'oidc-provider';

// The engine's interaction policy decides *what* the user must do next (login, then consent); our stages in
// src/interaction/stages decide *how*. Later capabilities (MFA, profile completion, legal consents) add their
// prompts here, each with a stage registered under the same name.
export function createInteractionPolicy() {
  const policy = interactionPolicy.base();
  return policy;
}
