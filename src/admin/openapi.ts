import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { Operation } from './operation.ts';
import { problemSchema } from './problem.ts';

// The OpenAPI 3.1 document of the admin API, generated from the operations' own zod schemas.

export interface ApiDescription {
  title: string;
  version: string;
  description: string;
  serverUrl: string;
  tokenUrl: string;
  scopes: { read: string; write: string };
}

const ERROR_RESPONSES = {
  400: 'The request is invalid (every invalid field is listed)',
  401: 'No token, or an invalid, expired or foreign one',
  403: 'The token lacks the scope this operation needs',
} as const;

export function buildOpenApiDocument(operations: Operation[], info: ApiDescription) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'oauth2', {
    type: 'oauth2',
    description: 'OAuth 2.0 client credentials at our own token endpoint, for the resource indicator of this API (RFC 8707).',
    flows: { clientCredentials: { tokenUrl: info.tokenUrl, scopes: { [info.scopes.read]: 'read everything', [info.scopes.write]: 'read and change everything' } } },
  });
  const problem = { 'application/problem+json': { schema: problemSchema } };
  for (const operation of operations) {
    const responses: Record<string, unknown> = {};
    for (const response of operation.responses) {
      responses[String(response.status)] = {
        description: response.description,
        ...(response.schema ? { content: { [response.contentType ?? 'application/json']: { schema: response.schema } } } : {}),
      };
    }
    for (const [status, description] of Object.entries(ERROR_RESPONSES)) responses[status] ??= { description, content: problem };
    if (operation.path.includes('{')) responses['404'] ??= { description: 'No such resource', content: problem };
    if (operation.access === 'write') responses['409'] ??= { description: 'Conflicts with the current state', content: problem };
    if (operation.body) responses['415'] ??= { description: 'The body is not application/json', content: problem };
    responses['429'] ??= { description: 'Too many requests', content: problem };
    registry.registerPath({
      operationId: operation.operationId,
      method: operation.method,
      path: operation.path,
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      tags: [operation.tag],
      security: [{ oauth2: operation.access === 'read' ? [info.scopes.read, info.scopes.write] : [info.scopes.write] }],
      request: {
        ...(operation.params ? { params: operation.params as z.ZodObject } : {}),
        ...(operation.query ? { query: operation.query as z.ZodObject } : {}),
        ...(operation.body ? { body: { required: true, content: { 'application/json': { schema: operation.body } } } } : {}),
      },
      responses: responses as never,
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    servers: [{ url: info.serverUrl }],
  });
}
