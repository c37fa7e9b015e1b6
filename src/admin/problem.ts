import type { Context } from 'koa';
import { z } from 'zod';
import { isAppError } from '../shared/app-error.ts';

// Errors of the management APIs as RFC 9457 problem details (application/problem+json). `code` is our dotted
// error code (the same as the CLI prints); `field` names the input at fault.

export const problemSchema = z.object({
  type: z.string().describe('a URI naming the problem type (`urn:idp:problem:<code>`, or about:blank)'),
  title: z.string().describe('short, human-readable summary'),
  status: z.number().int().describe('the HTTP status code'),
  detail: z.string().optional().describe('what went wrong in this case'),
  code: z.string().optional().describe('dotted error code, also an i18n key'),
  field: z.string().optional().describe('the request field at fault'),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('every invalid field of the request'),
}).meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  412: 'Precondition Failed', 413: 'Content Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

export class ApiProblem extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, detail?: string, extra: Partial<Problem> & { headers?: Record<string, string> } = {}) {
    super(detail ?? code);
    const { headers = {}, ...rest } = extra;
    this.problem = { type: `urn:idp:problem:${code}`, title: TITLES[status] ?? 'Error', status, code, ...(detail ? { detail } : {}), ...rest };
    this.headers = headers;
  }
}

/** Every invalid field of a zod failure, named by its path (`profile.given_name`, `body`). */
export function invalidRequest(error: z.ZodError, where: string): ApiProblem {
  const errors = error.issues.map((issue) => ({ field: issue.path.length ? issue.path.join('.') : where, message: issue.message }));
  return new ApiProblem(400, 'request.invalid', `invalid ${where}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors, field: errors[0]?.field });
}

/** Turns any error into a problem response; 5xx details never leave the process. */
export function toProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  if (isAppError(error)) {
    const [code, ...rest] = error.code.split(': ');
    const status = error.status;
    const headers: Record<string, string> = {};
    const retryAfter = (error as { retryAfter?: number }).retryAfter;
    if (retryAfter) headers['Retry-After'] = String(retryAfter);
    return new ApiProblem(status, error.expose ? code! : 'server.error', error.expose && rest.length ? rest.join(': ') : undefined, {
      ...(error.field ? { field: error.field } : {}), headers,
    });
  }
  return new ApiProblem(500, 'server.error');
}

export function sendProblem(ctx: Context, problem: ApiProblem, contentType = 'application/problem+json'): void {
  for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
  ctx.status = problem.problem.status;
  ctx.type = contentType;
  ctx.body = problem.problem;
}
