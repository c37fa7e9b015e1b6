import type { Context } from 'koa';
import { z } from 'zod';
import { AppError, isAppError } from '../shared/app-error.ts';
import type { StageContext, StageRoute } from './stage-context.ts';

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

/** What a failed submission shows again: the error, and the fields the form echoes as they were typed. */
export interface FormFailure {
  code: string;
  field?: string;
  /** 400 for a field error, else the error's own (429 for a rate limit ...). */
  status: number;
  /** The fields named in `echo`, as typed ('' when absent or not text). */
  typed: Record<string, string>;
}

/**
 * What a form's `load` step found: the thing the step acts on (`value`), or `skip` when the interaction is not at this
 * step and `load` has answered the request itself (another page, the flow going on from where it is): the body is
 * then never read.
 */
export type Loaded<C> = { skip: true } | { value: C };

/**
 * A form a stage answers, in authentik's show / valid / invalid shape; the stage registry turns it into the stage's
 * POST route. `load`, when given, runs first (the transaction or the sign-in the step belongs to, checked before the
 * body is looked at); its errors reach the error handler. The body is then parsed with `schema` (the first invalid
 * field becomes `<errors>.invalid_<field>`, 400). Valid input goes to `valid`; a field error, or an AppError below 500
 * from `valid` (wrong password, rate limit ...), goes to `invalid`, which shows the same view again. `done` runs after
 * `valid` for what is not the form's to show (signing in, linking): its errors, like any other, reach the error handler.
 * `valid`, `done` and `invalid` get what `load` found.
 */
export interface StageForm<S extends z.ZodType = z.ZodType, C = undefined> {
  /** The sub-path of /interaction/:uid the form posts to ('' or e.g. '/register'). */
  path: string;
  schema: S;
  /** Prefix of the field error codes (`login` gives `login.invalid_email`). */
  errors: string;
  /** Fields shown again after a failure as typed; never a password. */
  echo?: readonly string[];
  /** 5xx codes said on the form rather than on the error page (a store that could not tell, like a wrong password). */
  showOnForm?: readonly string[];
  load?(stage: StageContext): Promise<Loaded<C>>;
  valid(stage: StageContext, input: z.output<S>, loaded: C): Promise<void>;
  done?(stage: StageContext, input: z.output<S>, loaded: C): Promise<void>;
  invalid(stage: StageContext, failure: FormFailure, loaded: C): Promise<void> | void;
}

/** Types `valid`'s input from the schema, and keeps passwords out of what a failed form shows again. */
export function defineStageForm<S extends z.ZodType, C = undefined>(form: StageForm<S, C>): StageForm {
  if (form.echo?.some((name) => /password/i.test(name))) throw new Error(`form ${form.path}: a password is never shown again`);
  return form as unknown as StageForm;
}

/** The POST route of a stage form (see StageForm). */
export function formRoute(form: StageForm): StageRoute {
  return {
    method: 'POST',
    path: form.path,
    async handle(stage) {
      const loaded = form.load ? await form.load(stage) : { value: undefined };
      if ('skip' in loaded) return;
      const typed = Object.fromEntries((form.echo ?? []).map((name) => {
        const value = stage.form[name];
        return [name, typeof value === 'string' ? value : ''];
      }));
      let input: unknown;
      try {
        input = parseForm(form.schema, stage.form, form.errors);
        await form.valid(stage, input, loaded.value);
      } catch (error) {
        const failure = isAppError(error) && form.showOnForm?.includes(error.code) ? error : formError(stage.ctx, error);
        await form.invalid(stage, { code: failure.code, field: failure.field, status: failure.status, typed }, loaded.value);
        return;
      }
      await form.done?.(stage, input, loaded.value);
    },
  };
}
