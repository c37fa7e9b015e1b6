import { formRoute, type StageForm } from './forms.ts';
import type { StageRoute } from './stage-context.ts';

export type { Interaction, InteractionClient, LoginResult, StageContext, StageRoute } from './stage-context.ts';

// A stage answers one prompt of the engine's policy (login, consent, mfa, profile, legal ...): the engine
// decides *what* is needed, the stage decides *how*. Its routes live under /interaction/:uid; the path '' is the
// page the engine sends the user to. A form it answers is declared in `forms` (load, schema, valid, done, invalid:
// forms.ts) and the registry makes its POST route, so every stage shows field errors the same way.

export interface Stage {
  /** The engine prompt this stage resolves. */
  prompt: string;
  routes: StageRoute[];
  /** Forms the stage answers (load, schema, valid, done, invalid: see forms.ts); each becomes a POST route. */
  forms?: StageForm[];
}

export type StageRegistry = ReadonlyMap<string, Stage>;

/** Stages for the same prompt (login, register, forgotten password all answer `login`) are merged. */
export function createStageRegistry(stages: Stage[]): StageRegistry {
  const registry = new Map<string, Stage>();
  for (const stage of stages) {
    const existing = registry.get(stage.prompt);
    const routes = [...stage.routes, ...(stage.forms ?? []).map(formRoute)];
    registry.set(stage.prompt, { prompt: stage.prompt, routes: [...(existing?.routes ?? []), ...routes] });
  }
  return registry;
}
