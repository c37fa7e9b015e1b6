import type { Context } from 'koa';
import type { Locale } from '../i18n/i18n.ts';
import type { BrandView } from '../branding/brand-view.ts';

// What a stage is handed and hands back: the interaction, its context for one request, and a route. Below both the
// stage contract (stage.ts) and its forms (forms.ts), so neither imports the other's importer.

export interface InteractionClient {
  clientId: string;
  name: string;
  /** `client_name#<lang>` (RFC 7591 §2.2) by language; the pages prefer the one of their locale. */
  localizedNames?: Record<string, string>;
  firstParty: boolean;
  logoUri?: string;
  clientUri?: string;
  policyUri?: string;
  tosUri?: string;
}

export interface Interaction {
  uid: string;
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
  params: Record<string, string | undefined> & { client_id: string };
  session?: { accountId?: string };
  grantId?: string;
  lastSubmission?: Record<string, unknown>;
  client: InteractionClient;
}

export interface LoginResult {
  accountId: string;
  acr: string;
  amr: string[];
  remember?: boolean;
}

export interface StageContext {
  ctx: Context;
  interaction: Interaction;
  locale: Locale;
  /** The client's branding in this locale (src/branding), for the mails sent from this interaction. */
  brand?: BrandView;
  /** The parsed form body of a POST. */
  form: Record<string, unknown>;
  /** Renders views/interaction/<view>.hbs with the interaction's common model (client, links). */
  render(view: string, model?: Record<string, unknown>, status?: number): void;
  /** Hands a result to the engine and sends the browser on (303 to the engine's resume endpoint). */
  finish(result: Record<string, unknown>, options?: { merge?: boolean }): Promise<void>;
  /** Finishes the login prompt for an account; `extra` adds facts for the engine's later checks (e.g. `mfa`). */
  finishLogin(login: LoginResult, extra?: Record<string, unknown>): Promise<void>;
  /**
   * Step state kept in a signed cookie between two requests of this interaction (the account waiting for its email
   * code). It reads back only in the interaction that set it, for the same `accountId` (when given) and before it ends
   * (see step-state.ts).
   */
  pending: {
    get(binding?: { accountId?: string }): string | undefined;
    set(value: string, options?: { accountId?: string; ttlSeconds?: number }): void;
    clear(): void;
  };
}

export interface StageRoute {
  method: 'GET' | 'POST';
  /** '' or a sub-path such as '/register'. */
  path: string;
  handle(stage: StageContext): Promise<void>;
}
