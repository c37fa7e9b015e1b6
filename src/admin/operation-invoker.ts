import type { Context } from 'koa';
import type { z } from 'zod';
import type { AuditActor } from '../audit/audit-event.model.ts';
import { requireScope, type BearerPrincipal } from './bearer-auth.ts';
import { isExplicit, type Operation } from './operation.ts';
import { ApiProblem, invalidRequest } from './problem.ts';

// Runs one declared operation for a principal: scope -> zod-validated params, query and body -> handler. The HTTP
// routes (api-router.ts) and the admin console (src/console) both call it, so the console can do nothing the API
// would refuse the same person.

export interface InvokeInput {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: unknown;
}

export interface InvokeResult {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) throw invalidRequest(result.error, where);
  return result.data;
}

/** Who acts: the person behind a delegated token or the console, else the client itself. */
export const actorOf = (principal: BearerPrincipal): AuditActor =>
  (principal.accountId ? { type: 'user', id: principal.accountId } : { type: 'client', id: principal.clientId });

export function createOperationInvoker(options: { operations: Operation[]; scopes: { read: string[]; write: string[] }; baseUrl: string; realm?: string }) {
  const byId = new Map(options.operations.map((operation) => [operation.operationId, operation]));

  async function run(operation: Operation, input: InvokeInput, principal: BearerPrincipal, ctx: Context): Promise<InvokeResult> {
    requireScope(principal, operation.access === 'read' ? options.scopes.read : options.scopes.write, options.realm);
    const result = await operation.handle({
      params: parse(operation.params, input.params, 'path'),
      query: parse(operation.query, input.query, 'query'),
      body: parse(operation.body, input.body, 'body'),
      actor: actorOf(principal),
      baseUrl: options.baseUrl,
      ctx,
    });
    const status = isExplicit(result) ? result.$status : operation.responses[0]!.status;
    return { status, body: isExplicit(result) ? result.$body : result, headers: isExplicit(result) ? result.$headers ?? {} : {} };
  }

  return {
    run,
    /** By operationId: the console's way in. */
    async invoke(operationId: string, input: InvokeInput, principal: BearerPrincipal, ctx: Context): Promise<InvokeResult> {
      const operation = byId.get(operationId);
      if (!operation) throw new ApiProblem(500, 'server.error', `no operation ${operationId}`);
      return run(operation, input, principal, ctx);
    },
  };
}

export type OperationInvoker = ReturnType<typeof createOperationInvoker>;
