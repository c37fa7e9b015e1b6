import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';

// The browser binding of an upstream sign-in: a random value in a signed, httpOnly cookie; the transaction keeps
// its digest. A callback or a continue step from another browser (a login-CSRF link, a stolen state) does not match.
// Sign in with Apple answers with a cross-site POST (form_post): on https the cookie is SameSite=None so that POST
// carries it; on plain http (development) browsers refuse SameSite=None without Secure, so it is Lax there.

export interface Binding {
  /** The interaction uid (or 'account') the browser last started an upstream sign-in for. */
  uid: string;
  value: string;
}

export function bindingCookie(prefix: string) {
  const name = `${prefix}_federation`;
  const options = (ctx: Context) => ({
    signed: true, httpOnly: true, path: '/', secure: ctx.secure, sameSite: ctx.secure ? 'none' as const : 'lax' as const,
  });
  return {
    create(ctx: Context, uid: string, maxAgeSeconds: number): Binding {
      const binding = { uid, value: randomBytes(32).toString('base64url') };
      ctx.cookies.set(name, `${uid}.${binding.value}`, { ...options(ctx), maxAge: maxAgeSeconds * 1000 });
      return binding;
    },
    read(ctx: Context): Binding | undefined {
      const raw = ctx.cookies.get(name, { signed: true });
      const dot = raw?.lastIndexOf('.') ?? -1;
      if (!raw || dot < 1) return undefined;
      return { uid: raw.slice(0, dot), value: raw.slice(dot + 1) };
    },
  };
}

export type BindingCookie = ReturnType<typeof bindingCookie>;
