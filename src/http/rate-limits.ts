import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config/config.schema.ts';
import type { Audit } from '../ops/audit.ts';
import { AppError } from './app-error.ts';

// Limits on credential guessing and mail sending (rate-limiter-flexible). Per process: a deployment with several
// IdP instances multiplies the allowance by their number (a shared store is a config change, not a rewrite).
export type LimitName = keyof Config['rateLimits'];

export interface RateLimits {
  /** Counts one attempt; throws 429 `rate_limit.exceeded` with Retry-After once the allowance is spent. */
  consume(name: LimitName, key: string): Promise<void>;
  /** Throws 429 when the allowance is already spent, without counting. */
  check(name: LimitName, key: string): Promise<void>;
  reset(name: LimitName, key: string): Promise<void>;
}

/** `audit` records every refusal (`rate_limit.exceeded` with the limit's name; the key may be an email, so it is not named). */
export function createRateLimits(config: Config, audit?: Audit): RateLimits {
  const limiters = new Map(Object.entries(config.rateLimits).map(([name, limit]) => [
    name as LimitName,
    new RateLimiterMemory({ keyPrefix: name, points: limit.points, duration: limit.duration }),
  ]));
  const exceeded = (result: RateLimiterRes) => {
    const error = new AppError('rate_limit.exceeded', 429);
    (error as AppError & { retryAfter: number }).retryAfter = Math.ceil(result.msBeforeNext / 1000);
    return error;
  };
  return {
    async consume(name, key) {
      try {
        await limiters.get(name)!.consume(key);
      } catch (result) {
        if (result instanceof RateLimiterRes) {
          audit?.('rate_limit.exceeded', { limit: name });
          throw exceeded(result);
        }
        throw result;
      }
    },
    async check(name, key) {
      const result = await limiters.get(name)!.get(key);
      if (result && result.remainingPoints <= 0 && result.msBeforeNext > 0) throw exceeded(result);
    },
    async reset(name, key) {
      await limiters.get(name)!.delete(key);
    },
  };
}
