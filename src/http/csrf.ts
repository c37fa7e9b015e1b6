import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import Tokens from 'csrf';
import { AppError } from '../shared/app-error.ts';

// CSRF tokens for our forms (synchronizer token pattern): a random secret in an httpOnly cookie, a token derived
// from it in each form (`_csrf`, made by the csrf library), checked in constant time on every state-changing request.
const tokens = new Tokens();

/**
 * The csrf library's verify (token = `salt-base64url(sha1(salt-secret))`), compared with timingSafeEqual instead of
 * tsscmp's random key and two extra HMACs.
 */
export function verifyCsrfToken(secret: string, token: string): boolean {
  const index = token.indexOf('-');
  if (!secret || index === -1) return false;
  const salt = token.slice(0, index);
  const expected = Buffer.from(`${salt}-${createHash('sha1').update(`${salt}-${secret}`, 'ascii').digest('base64url')}`);
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface Csrf {
  /** Middleware: makes `ctx.state.csrfToken` for views, and refuses a POST whose token does not match. */
  middleware(ctx: Context, next: Next): Promise<void>;
}

export function createCsrf(cookieName: string, onRefused: (ctx: Context) => void): Csrf {
  return {
    async middleware(ctx, next) {
      let secret = ctx.cookies.get(cookieName);
      if (ctx.method === 'POST') {
        const token = (ctx.request.body as Record<string, unknown> | undefined)?._csrf;
        if (!secret || typeof token !== 'string' || !verifyCsrfToken(secret, token)) {
          onRefused(ctx);
          throw new AppError('csrf.invalid', 403);
        }
      }
      if (!secret) {
        secret = tokens.secretSync();
        ctx.cookies.set(cookieName, secret, { httpOnly: true, sameSite: 'lax', path: '/', secure: ctx.secure, overwrite: true });
      }
      ctx.state.csrfToken = tokens.create(secret);
      await next();
    },
  };
}
