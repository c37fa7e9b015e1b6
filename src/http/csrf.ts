import type { Context, Next } from 'koa';
import Tokens from 'csrf';
import { AppError } from './app-error.ts';

// CSRF tokens for our forms (synchronizer token pattern): a random secret in an httpOnly cookie, a token derived
// from it in each form (`_csrf`), compared in constant time by the csrf library on every state-changing request.
const tokens = new Tokens();

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
        if (!secret || typeof token !== 'string' || !tokens.verify(secret, token)) {
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
