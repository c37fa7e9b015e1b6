import type { Configuration } from 'oidc-provider';
import type { Config } from '../config/config.schema.ts';
import type { Context, Next } from 'koa';
import type { RateLimits } from '../config/config.schema.ts';
import { WRONG_USER_CODE, type DevicePages } from './device-pages.ts';

// The device authorization grant (RFC 8628), offered to clients that register the grant type
// urn:ietf:params:oauth:grant-type:device_code. The engine serves the device authorization endpoint (/device/auth),
// the verification URI (/device) and the polling at /token; we give it its pages and the user code's shape.

export function deviceFlowFeature(config: Config, pages: DevicePages): NonNullable<NonNullable<Configuration['features']>['deviceFlow']> {
  return {
    enabled: config.deviceFlow.enabled,
    // RFC 8628 §6.1: a short code of letters that cannot be mistaken for one another (no vowels, no digits: BCDF...),
    // read from one screen and typed on another; 20^8 codes, and each lives only codeTtl seconds (§5.1).
    charset: 'base-20',
    mask: '****-****',
    userCodeInputSource: pages.userCodeInputSource as never,
    userCodeConfirmSource: pages.userCodeConfirmSource as never,
    successSource: pages.successSource as never,
  };
}

/**
 * RFC 8628 §5.1: user codes are short, so guessing them must be rate limited. Run inside the engine's app: a browser
 * that typed too many wrong codes is refused (429, the standard rate-limit page) before the engine looks a code up;
 * each wrong code the input page reports counts one attempt.
 */
export function userCodeGuessLimit(limits: RateLimits) {
  return async function userCodeGuessLimit(ctx: Context, next: Next) {
    const verifying = ctx.method === 'POST' && ctx.path === '/device';
    if (verifying) await limits.check('userCodePerIp', ctx.ip);
    await next();
    if (verifying && (ctx.state as Record<symbol, unknown>)[WRONG_USER_CODE]) await limits.consume('userCodePerIp', ctx.ip).catch(() => undefined);
  };
}
