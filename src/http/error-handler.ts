import type { Context, Next } from 'koa';
import { isDatabaseUnavailable } from '../db/connection.ts';
import { AppError, isAppError } from '../shared/app-error.ts';
import type { Pages } from './pages.ts';
import type { Logger } from '../shared/logger.ts';

// Turns every error of our routes into a clear answer: a page for browsers, JSON for programs. Field errors are
// handled by the stages themselves (same form again, 400); what reaches here is fatal for the request.
// MongoDB being unreachable is a 503 with Retry-After, never a hang or a crash.

function normalize(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (isDatabaseUnavailable(error)) return new AppError('service.unavailable', 503, { cause: error });
  const status = (error as { status?: number }).status;
  const type = (error as { type?: string }).type;
  if (status === 413 || type === 'entity.too.large') return new AppError('request.too_large', 413, { cause: error });
  if (status === 415) return new AppError('request.unsupported_type', 415, { cause: error });
  if (status === 400 && type) return new AppError('request.malformed', 400, { cause: error });
  return new AppError('server.error', 500, { cause: error, expose: false });
}

export function errorHandler(pages: Pages, logger: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (raw) {
      const error = normalize(raw);
      if (error.status >= 500 && error.status !== 503) logger.error({ err: raw, path: ctx.path, reqId: ctx.state.reqId }, 'request failed');
      if (error.status === 503) {
        logger.warn({ event: 'db.unavailable', path: ctx.path }, 'db.unavailable');
        ctx.set('Retry-After', '5');
      }
      const retryAfter = (error as AppError & { retryAfter?: number }).retryAfter;
      if (retryAfter) ctx.set('Retry-After', String(retryAfter));
      respondWithError(ctx, pages, error);
    }
  };
}

export function respondWithError(ctx: Context, pages: Pages, error: AppError): void {
  if (ctx.accepts('html', 'json') === 'json') {
    ctx.status = error.status;
    ctx.body = { error: error.status === 503 ? 'temporarily_unavailable' : error.code, error_description: error.expose ? error.code : 'server.error' };
    return;
  }
  pages.render(ctx, 'pages/error', { code: error.expose ? error.code : 'server.error' }, { status: error.status });
}
