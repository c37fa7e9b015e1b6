import { createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { PollTimingModel } from './poll-timing.model.ts';

// The engine answers authorization_pending to every poll but never slow_down (its SlowDown error is unused), and it
// sends no `interval`. This middleware, run inside the engine's app around its routes, does both:
// - RFC 8628 §3.2 / CIBA Core §7.3: the device authorization and backchannel authentication responses name the
//   interval the client must wait between two token requests;
// - RFC 8628 §3.5 / CIBA Core §11: a poll sooner than that interval gets `slow_down` instead of
//   `authorization_pending`, and the interval grows by 5 seconds "for this and all subsequent requests".
// It only looks at responses the engine already produced, so an approved request is never held back.

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';
/** RFC 8628 §3.5: "the interval MUST be increased by 5 seconds". */
const SLOW_DOWN_STEP_SECONDS = 5;

export interface PollIntervals {
  device: number;
  ciba: number;
}

export function createPollThrottle(model: PollTimingModel, intervals: PollIntervals) {
  /** Records this poll; true when it came sooner than the interval (which then grows). */
  async function tooSoon(code: string, baseInterval: number): Promise<boolean> {
    const id = createHash('sha256').update(code).digest('base64url');
    const now = new Date();
    const previous = await model.findOneAndUpdate(
      { _id: id },
      { $set: { lastPollAt: now }, $setOnInsert: { intervalSeconds: baseInterval, expiresAt: new Date(now.getTime() + 24 * 3600 * 1000) } },
      { upsert: true, new: false },
    ).lean();
    if (!previous) return false;
    if (now.getTime() - previous.lastPollAt.getTime() >= previous.intervalSeconds * 1000) return false;
    await model.updateOne({ _id: id }, { $inc: { intervalSeconds: SLOW_DOWN_STEP_SECONDS } });
    return true;
  }

  return async function pollThrottle(ctx: Context, next: Next) {
    await next();
    const oidc = (ctx as Context & { oidc?: { route?: string; params?: Record<string, unknown> } }).oidc;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (!oidc || !body || typeof body !== 'object') return;
    if (ctx.status === 200 && (oidc.route === 'device_authorization' || oidc.route === 'backchannel_authentication')) {
      body.interval = oidc.route === 'device_authorization' ? intervals.device : intervals.ciba;
      return;
    }
    if (oidc.route !== 'token' || body.error !== 'authorization_pending') return;
    const grantType = oidc.params?.grant_type;
    const code = grantType === DEVICE_CODE_GRANT ? oidc.params?.device_code : grantType === CIBA_GRANT ? oidc.params?.auth_req_id : undefined;
    if (typeof code !== 'string') return;
    if (await tooSoon(code, grantType === DEVICE_CODE_GRANT ? intervals.device : intervals.ciba)) {
      ctx.body = { error: 'slow_down', error_description: 'you are polling too quickly and should back off at a reasonable rate' };
    }
  };
}
