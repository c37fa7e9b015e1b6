import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, Next } from 'koa';
import type { RequestFacts } from './audit-record.ts';

// The request an audit event happens in (client IP, user agent, request id), found without passing it through
// every service call. One store per app instance, made in the composition root.

export function createRequestContext() {
  const storage = new AsyncLocalStorage<Context>();
  return {
    /** Koa middleware: everything `next()` does runs within this request's context. */
    middleware: (ctx: Context, next: Next) => storage.run(ctx, next),
    /** The current request's facts, read when the event happens (ctx.ip honours the trusted-proxy setting). */
    current(): RequestFacts | undefined {
      const ctx = storage.getStore();
      if (!ctx) return undefined;
      return { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, requestId: ctx.state.reqId as string | undefined };
    },
  };
}

export type RequestContext = ReturnType<typeof createRequestContext>;
