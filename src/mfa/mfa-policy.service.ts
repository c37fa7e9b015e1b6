import { acrOf, levelOf, requestedLevel, type AcrValue, type Level } from './acr.ts';
import type { FactorType } from './mfa-factor.model.ts';
import type { MfaService } from './mfa.service.ts';

// When is a second factor asked, and why? The engine's `mfa` prompt hands us plain facts about
// the authorization request and its session; we answer with a decision. The required level is the highest of:
// the client's policy, the acr the client asked for (acr_values / claims, OIDC Core §3.1.2.1 and §5.5.1.1),
// the person's own choice (a factor enrolled), and the risk of this sign-in.

export type ClientMfaPolicy = 'off' | 'optional' | 'required';
export type MfaReason = 'client_policy' | 'acr_values' | 'enrolled' | 'risk' | 'add_factor';

/** The request as the risk check sees it (set by the engine-facing prompt from its koa context). */
export interface RequestSignals {
  ip: string;
  header(name: string): string | undefined;
  cookie: { get(name: string): string | undefined; set(name: string, value: string, maxAgeMs: number): void };
  userAgent?: string;
}

export interface MfaFacts {
  accountId: string;
  clientId: string;
  clientPolicy: ClientMfaPolicy;
  requestedAcr: string[];
  session: { uid: string; acr?: string; amr?: string[]; loginTs?: number };
  /** A login was just finished in this authorization request (the risk check runs once per sign-in). */
  freshLogin: boolean;
  /**
   * The person asked, from their account page, to add a factor and has not enrolled one yet in this authorization
   * request ("Add a method" on /account/security). The prompt sets it only for our own account client, never for a site's request.
   */
  addFactor?: boolean;
  request: RequestSignals;
}

export interface MfaDecision {
  needed: boolean;
  requiredAcr: AcrValue;
  reasons: MfaReason[];
  /** No usable factor: the person enrols one first (client policy or acr ask for it). */
  enrol: boolean;
  /** Factors that may answer the challenge. */
  factors: FactorType[];
}

export interface RiskAssessor {
  /** The person chose "remember this device" here: optional MFA (their own choice, or risk) is not asked. */
  isRemembered(facts: MfaFacts): Promise<boolean>;
  /** True when this sign-in (fresh, or the one the session stems from) is risky enough to ask for MFA. */
  requiresMfa(facts: MfaFacts): Promise<boolean>;
  /** The sign-in is complete (no step missing): remember its network, country, time and device. */
  recordSignIn(facts: MfaFacts): Promise<void>;
}

export function createMfaPolicyService(deps: { mfa: MfaService; risk?: RiskAssessor }) {
  async function decide(facts: MfaFacts): Promise<MfaDecision> {
    const current = levelOf(facts.session.acr);
    const reasons: MfaReason[] = [];
    let required: Level = 1;
    if (facts.clientPolicy === 'required') (required = 2), reasons.push('client_policy');
    const asked = requestedLevel(facts.requestedAcr);
    if (asked >= 2) {
      reasons.push('acr_values');
      required = Math.max(required, asked) as Level;
    }
    // A session already at MFA level that meets what is asked needs neither the factor list nor the risk state.
    const satisfied = current >= 2 && current >= required && !facts.addFactor;
    const enrolled = current >= 3 || satisfied ? [] : await deps.mfa.enrolledTypes(facts.accountId);
    if (current < 2 && required < 2) {
      const remembered = deps.risk ? await deps.risk.isRemembered(facts) : false;
      if (!remembered && facts.clientPolicy !== 'off' && enrolled.length) (required = 2), reasons.push('enrolled');
      else if (deps.risk && await deps.risk.requiresMfa(facts)) (required = 2), reasons.push('risk');
    }

    const needed = current < required;
    const usable = required >= 3 ? enrolled.filter((type) => type === 'webauthn') : enrolled;
    const riskOnly = reasons.length === 1 && reasons[0] === 'risk';
    // Risk alone never forces an enrolment: someone with no factor proves the mailbox of their verified address.
    const factors = usable.length ? usable : riskOnly ? ['email' as const] : [];
    const decision = { needed, requiredAcr: acrOf(required), reasons, enrol: needed && factors.length === 0, factors };
    return facts.addFactor ? askToAddFactor(decision, enrolled) : decision;
  }

  /**
   * Adding a factor from the account page: the enrol step is asked even when the level is already met. The stages
   * still let only a session without any factor, or one at MFA level, enrol; with a factor and no MFA yet, the
   * person first answers one of the factors they have (`factors`), then this decision comes again at MFA level.
   */
  function askToAddFactor(decision: MfaDecision, enrolled: FactorType[]): MfaDecision {
    const requiredAcr = levelOf(decision.requiredAcr) >= 2 ? decision.requiredAcr : acrOf(2);
    const factors = decision.factors.length ? decision.factors : enrolled;
    return { needed: true, requiredAcr, reasons: [...decision.reasons, 'add_factor'], enrol: true, factors };
  }

  return {
    decide,
    /** The engine's check: decides, and records a completed sign-in once nothing is missing. */
    async evaluate(facts: MfaFacts): Promise<MfaDecision> {
      const decision = await decide(facts);
      if (!decision.needed && facts.freshLogin && deps.risk) await deps.risk.recordSignIn(facts);
      return decision;
    },
  };
}

export type MfaPolicyService = ReturnType<typeof createMfaPolicyService>;
