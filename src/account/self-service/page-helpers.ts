import type { Context } from 'koa';
import { z } from 'zod';
import { isAppError, type AppError } from '../../shared/app-error.ts';

// Small pieces shared by the self-service routers.

/** The i18n key of a refusal: our own under self_service.errors, the shared ones (password policy ...) under errors. */
export const errorKeyOf = (code: string): string =>
  code.startsWith('self_service.') ? `self_service.errors.${code.slice('self_service.'.length)}` : `errors.${code}`;

/** An AppError to show on the form (4xx), or undefined for anything else (rethrown by the caller). */
export function formRefusal(ctx: Context, error: unknown): { errorKey: string; status: number } | undefined {
  if (!isAppError(error) || error.status >= 500) return undefined;
  const retryAfter = (error as AppError & { retryAfter?: number }).retryAfter;
  if (retryAfter) ctx.set('Retry-After', String(retryAfter));
  return { errorKey: errorKeyOf(error.code), status: error.status };
}

/** The form's fields, or undefined when it does not match (the caller shows the form again with a 400). */
export function readForm<T extends z.ZodType>(schema: T, ctx: Context): z.output<T> | undefined {
  const result = schema.safeParse(ctx.request.body ?? {});
  return result.success ? result.data : undefined;
}

/** "2026-12-03 13:05" (UTC), the same in both languages, as the other account pages show times. */
export const shortTime = (value: Date | undefined): string | undefined =>
  value ? `${value.toISOString().slice(0, 10)} ${value.toISOString().slice(11, 16)}` : undefined;

/** PRG: a change answers with 303 to its page (RFC 9110 §15.4.4), so a reload does not send it again. */
export function seeOther(ctx: Context, location: string): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.status = 303;
  ctx.redirect(location);
}
