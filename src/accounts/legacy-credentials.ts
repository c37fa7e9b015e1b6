import CircuitBreaker from 'opossum';
import { z } from 'zod';
import { AppError } from '../shared/app-error.ts';
import type { Profile } from './account.model.ts';

// Lazy migration ("trickle migration"): an email we do not know, signing in, is checked against the legacy member
// store's credential endpoint (POST {email, password} with a shared secret header). On success the account is made
// here with the profile it returns and the password hashed by us, so the legacy store is never asked about that
// person again. Each call is time-boxed, and a circuit breaker (opossum) stops asking a legacy system that keeps
// failing, so that a slow or down legacy store costs sign-ins of unknown emails one fast, clear error, and
// nothing more.

export interface LegacyEndpointConfig {
  url: string;
  /** Sent as the value of `secretHeader`. */
  secret: string;
  secretHeader: string;
  timeoutMs: number;
  /** Failures (of at least `volumeThreshold` calls in the window) after which the breaker opens, in percent. */
  errorThresholdPercentage: number;
  volumeThreshold: number;
  /** How long an open breaker refuses before letting one call try again. */
  resetTimeoutMs: number;
}

/** What the legacy endpoint answers for good credentials (anything else in the body is ignored). */
const answerSchema = z.object({
  email: z.string().max(320).optional(),
  email_verified: z.boolean().optional(),
  profile: z.object({
    name: z.string().max(200), given_name: z.string().max(100), family_name: z.string().max(100), nickname: z.string().max(100),
    locale: z.string().max(20), zoneinfo: z.string().max(60), birthdate: z.string().max(10), phone_number: z.string().max(40),
  }).partial().optional(),
});

export interface LegacyIdentity {
  emailVerified: boolean;
  profile: Profile;
}

/** The legacy store said the credentials are wrong (or the person is unknown there). */
class Rejected extends Error {
  override name = 'LegacyRejected';
}

export function createLegacyCredentials(config: LegacyEndpointConfig) {
  async function ask(email: string, password: string): Promise<LegacyIdentity> {
    const response = await fetch(config.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', [config.secretHeader]: config.secret },
      body: JSON.stringify({ email, password }),
      signal: AbortSignal.timeout(config.timeoutMs),
      redirect: 'error',
    });
    if ([400, 401, 403, 404].includes(response.status)) {
      await response.body?.cancel();
      throw new Rejected(String(response.status));
    }
    if (!response.ok) throw new Error(`legacy endpoint answered ${response.status}`);
    const answer = answerSchema.parse(await response.json());
    return { emailVerified: answer.email_verified ?? false, profile: answer.profile ?? {} };
  }

  const breaker = new CircuitBreaker(ask, {
    timeout: config.timeoutMs + 100, // the fetch's own signal ends it first; this is the backstop
    errorThresholdPercentage: config.errorThresholdPercentage,
    volumeThreshold: config.volumeThreshold,
    resetTimeout: config.resetTimeoutMs,
    // Wrong credentials are an answer, not a failure of the legacy system.
    errorFilter: (error: unknown) => error instanceof Rejected,
  });

  return {
    /** The person's legacy profile, undefined for wrong credentials; 503 login.legacy_unavailable when it cannot tell. */
    async verify(email: string, password: string): Promise<LegacyIdentity | undefined> {
      try {
        return await breaker.fire(email, password);
      } catch (error) {
        if (error instanceof Rejected) return undefined;
        throw new AppError('login.legacy_unavailable', 503, { cause: error });
      }
    },
    get open(): boolean {
      return breaker.opened;
    },
    shutdown: () => breaker.shutdown(),
  };
}

export type LegacyCredentials = ReturnType<typeof createLegacyCredentials>;
