import { Counter, type Registry } from 'prom-client';
import type { Provider } from '../oidc/provider.ts';
import { boundedLabel } from './bounded-label.ts';

// Sign-ins, MFA and token issuance, counted from events that already exist: the audit trail's dotted events
// (src/ops/audit.ts: login.succeeded, login.failed, mfa.challenge.failed ...) and the engine's own events
// (oidc-provider docs/events.md: grant.success and grant.error on the token endpoint).

const SIGN_IN = { 'login.succeeded': 'succeeded', 'login.failed': 'failed', 'login.refused': 'refused' } as Record<string, string>;
const MFA = { 'mfa.challenge.succeeded': 'succeeded', 'mfa.challenge.failed': 'failed', 'mfa.lockout': 'locked_out' } as Record<string, string>;

export function createAuthMetrics(registry: Registry) {
  const signIns = new Counter({
    name: 'idp_sign_ins_total', help: 'sign-in attempts on the hosted pages, by outcome (succeeded, failed, refused) and method',
    labelNames: ['outcome', 'method'] as const, registers: [registry],
  });
  const mfa = new Counter({
    name: 'idp_mfa_challenges_total', help: 'second-factor answers, by outcome (succeeded, failed, locked_out) and factor',
    labelNames: ['outcome', 'factor'] as const, registers: [registry],
  });
  const tokens = new Counter({
    name: 'idp_token_requests_total', help: 'token endpoint requests, by grant type and outcome (issued, refused)',
    labelNames: ['grant_type', 'outcome'] as const, registers: [registry],
  });
  const method = boundedLabel(20);
  const factor = boundedLabel(20);
  const grantType = boundedLabel(20);
  // Every sign-in counter exists from the start, so a rate() over it is defined before the first sign-in.
  for (const outcome of Object.values(SIGN_IN)) signIns.labels(outcome, 'password').inc(0);

  return {
    /** An audit observer (src/audit/audit.module.ts): must not throw or wait. */
    observeAudit(event: string, fields: Record<string, unknown>): void {
      const signIn = SIGN_IN[event];
      if (signIn) {
        signIns.inc({ outcome: signIn, method: method(signInMethod(fields)) });
        return;
      }
      const challenge = MFA[event];
      if (challenge) mfa.inc({ outcome: challenge, factor: factor(fields.factor ?? 'none') });
    },
    /** Listens to one engine instance (the container builds a new one after a key rotation). */
    watchEngine(provider: Provider): void {
      const grant = (ctx: { oidc?: { params?: Record<string, unknown> } }, outcome: string) =>
        tokens.inc({ grant_type: grantType(ctx.oidc?.params?.grant_type ?? 'none'), outcome });
      provider.on('grant.success', (ctx) => grant(ctx as never, 'issued'));
      provider.on('grant.error', (ctx) => grant(ctx as never, 'refused'));
    },
  };
}

function signInMethod(fields: Record<string, unknown>): string {
  if (typeof fields.connectorId === 'string') return 'federated';
  const amr = Array.isArray(fields.amr) ? fields.amr : [];
  if (amr.includes('pwd')) return 'password';
  if (amr.length) return String(amr[0]);
  return 'password';
}
