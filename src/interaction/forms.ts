import type { Context } from 'koa';
import { z } from 'zod';
import { AppError, isAppError } from '../http/app-error.ts';

// Form schemas shared by the hosted pages. Field names follow the public contract (email, password, code ...).
export const email = z.string().trim().min(3).max(254).pipe(z.email());
export const password = z.string().min(1).max(1024);
export const code = z.string().trim().regex(/^\d{6}$/);

/** Parses a form; the first invalid field becomes `<prefix>.invalid_<field>` (a 400 with the field named). */
export function parseForm<T extends z.ZodType>(schema: T, form: unknown, prefix: string): z.output<T> {
  const result = schema.safeParse(form);
  if (result.success) return result.data;
  const field = String(result.error.issues[0]?.path[0] ?? 'form');
  throw new AppError(`${prefix}.invalid_${field}`, 400, { field });
}

/**
 * An error a stage shows on its own form (field error, 429 ...); anything else (5xx, bugs) is rethrown for the error
 * handler. A rate-limit error keeps its Retry-After header (RFC 6585 §4, RFC 9110 §10.2.3), which the error
 * handler would otherwise have set.
 */
export function formError(ctx: Context, error: unknown): AppError {
  if (!isAppError(error) || error.status >= 500) throw error;
  const retryAfter = (error as AppError & { retryAfter?: number }).retryAfter;
  if (retryAfter) ctx.set('Retry-After', String(retryAfter));
  return error;
}
