import type { mongo } from 'mongoose';
import { RateLimiterMemory, RateLimiterMongo, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Audit } from './audit.ts';
import { AppError } from './app-error.ts';
import { RATE_LIMIT_COLLECTION } from './rate-limit.model.ts';

// Limits on credential guessing and mail sending (rate-limiter-flexible). The counters live in MongoDB (collection
// rate_limits, one atomic findOneAndUpdate per counted attempt), so several IdP instances behind a load balancer
// allow together exactly what one would: a guesser gains nothing by spreading attempts over them. Without a store
// (unit tests) the counters are per process.
/** One limit: `points` attempts per `duration` seconds. */
export interface LimitSetting {
  points: number;
  duration: number;
}

/** The limits named `Name` (the app's are typed by its configuration: config.schema.ts RateLimits). */
export interface RateLimits<Name extends string> {
  /** Counts one attempt; throws 429 `rate_limit.exceeded` with Retry-After once the allowance is spent. */
  consume(name: Name, key: string): Promise<void>;
  /** Throws 429 when the allowance is already spent, without counting. */
  check(name: Name, key: string): Promise<void>;
  /**
   * `check` for several counters at once (one MongoDB round trip for all); resolves, in order, to whether each has a
   * live counter (false: nothing was counted against it, so there is nothing to `reset`).
   */
  checkAll(checks: Array<{ name: Name; key: string }>): Promise<boolean[]>;
  reset(name: Name, key: string): Promise<void>;
}

/**
 * `audit` records every refusal (`rate_limit.exceeded` with the limit's name; the key may be an email, so it is not
 * named). `store`: the app's own database (its mongoose connection's `db`); the collection and its indexes are made
 * by ensureSchema (rate-limit.model.ts), never by the library at request time.
 */
export function createRateLimits<Name extends string>(settings: Record<Name, LimitSetting>, audit?: Audit, store?: mongo.Db): RateLimits<Name> {
  const limiter = (name: string, limit: { points: number; duration: number }): RateLimiterAbstract => store
    ? new RateLimiterMongo({
      storeClient: store, tableName: RATE_LIMIT_COLLECTION, disableIndexesCreation: true,
      keyPrefix: name, points: limit.points, duration: limit.duration,
    })
    : new RateLimiterMemory({ keyPrefix: name, points: limit.points, duration: limit.duration });
  const limiters = new Map((Object.entries(settings) as Array<[Name, LimitSetting]>).map(([name, limit]) => [name, limiter(name, limit)]));
  const exceeded = (result: RateLimiterRes) => {
    const error = new AppError('rate_limit.exceeded', 429);
    (error as AppError & { retryAfter: number }).retryAfter = Math.ceil(result.msBeforeNext / 1000);
    return error;
  };
  /** The counters' documents as RateLimiterMongo reads them (its `_get`: key `<prefix>:<key>`, not expired). */
  const storedCounters = async (keys: string[]) => {
    const documents = await store!.collection<{ key: string; points: number; expire: Date | null }>(RATE_LIMIT_COLLECTION)
      .find({ key: { $in: keys }, $or: [{ expire: { $gt: new Date() } }, { expire: { $eq: null } }] }, { projection: { key: 1, points: 1, expire: 1 } })
      .toArray();
    return new Map(documents.map((d) => [d.key, d]));
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
    async checkAll(checks) {
      if (!store) {
        return Promise.all(checks.map(async ({ name, key }) => {
          const result = await limiters.get(name)!.get(key);
          if (result && result.remainingPoints <= 0 && result.msBeforeNext > 0) throw exceeded(result);
          return result !== null;
        }));
      }
      const keys = checks.map(({ name, key }) => limiters.get(name)!.getKey(key));
      const found = await storedCounters(keys);
      return checks.map(({ name }, i) => {
        const document = found.get(keys[i]!);
        if (!document) return false;
        // As RateLimiterMongo's _getRateLimiterRes computes remainingPoints and msBeforeNext.
        const msBeforeNext = document.expire !== null ? Math.max(new Date(document.expire).getTime() - Date.now(), 0) : -1;
        if (settings[name].points - document.points <= 0 && msBeforeNext > 0) {
          throw exceeded(Object.assign(new RateLimiterRes(), { msBeforeNext, remainingPoints: 0, consumedPoints: document.points }));
        }
        return true;
      });
    },
    async reset(name, key) {
      await limiters.get(name)!.delete(key);
    },
  };
}
