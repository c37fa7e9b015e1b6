import { z } from 'zod';
import { AppError } from '../http/app-error.ts';

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
