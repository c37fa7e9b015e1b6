import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import type { Audit } from '../shared/audit.ts';
import type { BearerVerifier } from './bearer-auth.ts';
import type { Operation } from './operation.ts';
import { createOperationInvoker } from './operation-invoker.ts';
import { ApiProblem, sendProblem, toProblem } from './problem.ts';

// Serves declared operations under a prefix: bearer token -> scope -> zod-validated params, query and JSON body ->
// handler -> JSON (or problem+json). Nothing is read from the request that the operation did not declare.

export interface ApiRouterOptions {
  prefix: string;
  /** The absolute URL of `prefix` (the issuer's origin and path). */
  baseUrl: string;
  operations: Operation[];
  verifier: BearerVerifier;
  scopes: { read: string[]; write: string[] };
  audit: Audit;
  /** Media type of successful JSON answers (SCIM: application/scim+json). */
  jsonType?: string;
  problemType?: string;
  /** Error answers of another shape than RFC 9457 (SCIM's own error schema). */
  renderProblem?: (ctx: Context, problem: ApiProblem) => void;
  bodyTypes?: string[];
  /** The Bearer challenge's realm (RFC 6750 §3). */
  realm?: string;
}

/** Koa middleware for the routes, answering unknown paths under the prefix in the API's own error format. */
export function apiMiddleware(options: ApiRouterOptions): Middleware {
  const router = createApiRouter(options);
  const routes = router.routes() as Middleware;
  const render = options.renderProblem ?? ((ctx: Context, problem: ApiProblem) => sendProblem(ctx, problem, options.problemType));
  return async (ctx, next) => {
    if (ctx.path !== options.prefix && !ctx.path.startsWith(`${options.prefix}/`)) return next();
    await routes(ctx, async () => {
      render(ctx, new ApiProblem(404, 'request.not_found', `no operation ${ctx.method} ${ctx.path}`));
    });
  };
}

function createApiRouter(options: ApiRouterOptions): Router {
  const router = new Router({ prefix: options.prefix });
  const json = bodyParser({
    enableTypes: ['json'], jsonLimit: '256kb', encoding: 'utf-8',
    extendTypes: { json: options.bodyTypes ?? ['application/json'] },
    onError: () => { throw new ApiProblem(400, 'request.invalid_json', 'the body is not valid JSON'); },
  });
  const render = options.renderProblem ?? ((ctx: Context, problem: ApiProblem) => sendProblem(ctx, problem, options.problemType));

  const guard: Middleware = async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (error) {
      const problem = toProblem(error);
      if (problem.problem.status >= 500) ctx.app.emit('error', error, ctx);
      // Refused credentials and scopes are security events (RFC 6750 §3.1 errors).
      if (problem.problem.status === 401 || problem.problem.status === 403) {
        options.audit('management_api.access.refused', { api: options.prefix, path: ctx.path, method: ctx.method, reason: problem.problem.code, status: problem.problem.status });
      }
      render(ctx, problem);
    }
  };

  const invoker = createOperationInvoker(options);
  for (const operation of options.operations) {
    const koaPath = operation.path.replace(/\{(\w+)\}/g, ':$1');
    const handler: Middleware = async (ctx) => {
      const principal = await options.verifier.authenticate(ctx.get('authorization') || undefined);
      if (operation.body && !ctx.is(options.bodyTypes ?? ['application/json'])) {
        throw new ApiProblem(415, 'request.unsupported_media_type', `send the body as ${(options.bodyTypes ?? ['application/json'])[0]}`);
      }
      const result = await invoker.run(operation, { params: ctx.params, query: ctx.query, body: (ctx.request as { body?: unknown }).body }, principal, ctx);
      for (const [name, value] of Object.entries(result.headers)) ctx.set(name, value);
      if (result.body !== undefined && result.status !== 204) {
        ctx.body = result.body;
        ctx.type = options.jsonType ?? 'application/json';
      } else {
        ctx.body = null; // an empty answer, not koa's status text (set before the status, or koa makes it a 204)
      }
      ctx.status = result.status;
    };
    router[operation.method](koaPath, guard, ...(operation.body ? [json] : []), handler);
  }
  return router;
}
