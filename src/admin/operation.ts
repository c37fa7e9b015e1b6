import type { Context } from 'koa';
import type { z } from 'zod';
import type { AuditActor } from '../audit/audit-event.model.ts';

// One operation of a management API, declared once: its path, the zod schemas that validate its input, the
// schemas of its answers, the scope it needs and its handler. The router (api-router.ts) and the OpenAPI
// document (openapi.ts) are both built from these declarations, so the document cannot drift from what runs.

export type Access = 'read' | 'write';
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface OperationInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Who acts: the calling client, for the audit trail. */
  actor: AuditActor;
  /** The API's absolute base URL (issuer + prefix), for Location headers. */
  baseUrl: string;
  ctx: Context;
}

export interface OperationResponse {
  status: number;
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

/** What a handler returns: the body of the first declared response, or an explicit status, body and headers. */
export type HandlerResult = unknown | { $status: number; $body?: unknown; $headers?: Record<string, string> };

export interface Operation<P = any, Q = any, B = any> {
  operationId: string;
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/users/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  responses: OperationResponse[];
  handle(input: OperationInput<P, Q, B>): Promise<HandlerResult>;
}

/** Keeps each operation's types checked while the router treats them alike. */
export const defineOperation = <P, Q, B>(operation: Operation<P, Q, B>): Operation => operation as Operation;

export const isExplicit = (result: unknown): result is { $status: number; $body?: unknown; $headers?: Record<string, string> } =>
  typeof result === 'object' && result !== null && '$status' in result;
