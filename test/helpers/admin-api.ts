import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import * as client from 'openid-client';
import { registerRp } from './rp.ts';
import type { TestApp } from './test-app.ts';

// Drives the management APIs the way an integrator would: a client_credentials token from our token endpoint
// (openid-client), and calls by operationId resolved from the served OpenAPI document, every answer checked
// against the schema the document declares for its status.

type OpenApiDocument = {
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components?: Record<string, unknown>;
};

export interface ApiAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function managementClient(app: TestApp, scope: string, metadata: Record<string, unknown> = {}) {
  const rp = await registerRp(app, {
    grant_types: ['client_credentials'], response_types: [], redirect_uris: [], post_logout_redirect_uris: [], scope, ...metadata,
  });
  return {
    clientId: rp.clientId,
    async token(parameters: Record<string, string> = { scope }): Promise<string> {
      return (await client.clientCredentialsGrant(rp.config, parameters)).access_token;
    },
  };
}

/** Replaces document-local references by references into the document registered under `urn:idp:openapi-document`. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, key === '$ref' && typeof value === 'string' && value.startsWith('#') ? `urn:idp:openapi-document${value}` : rebase(value)]));
}

export class OpenApiClient {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ReturnType<Ajv2020['compile']>>();
  private readonly operations = new Map<string, { method: string; path: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>();

  readonly document: OpenApiDocument;
  private readonly baseUrl: string;
  token: string | undefined;

  constructor(document: OpenApiDocument, baseUrl: string, token?: string) {
    this.document = document;
    this.baseUrl = baseUrl;
    this.token = token;
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema({ $id: 'urn:idp:openapi-document', components: document.components ?? {} });
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) this.operations.set(operation.operationId, { method, path, responses: operation.responses });
    }
  }

  static async load(app: TestApp, documentPath = '/admin/api/openapi.json', token?: string): Promise<OpenApiClient> {
    const document = await (await fetch(`${app.issuer}${documentPath}`)).json() as OpenApiDocument & { servers: Array<{ url: string }> };
    return new OpenApiClient(document, document.servers[0]!.url, token);
  }

  async call<T = any>(operationId: string, input: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown; rawBody?: string; contentType?: string; token?: string | null } = {}): Promise<ApiAnswer<T>> {
    const operation = this.operations.get(operationId);
    if (!operation) throw new Error(`no operation ${operationId} in the document`);
    const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(input.params?.[name] ?? ''));
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(input.query ?? {})) url.searchParams.set(key, value);
    const token = input.token === undefined ? this.token : input.token;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (input.body !== undefined || input.rawBody !== undefined) headers['content-type'] = input.contentType ?? 'application/json';
    const response = await fetch(url, {
      method: operation.method.toUpperCase(), headers, signal: AbortSignal.timeout(20_000),
      body: input.rawBody ?? (input.body === undefined ? undefined : JSON.stringify(input.body)),
    });
    const text = await response.text();
    const body = text ? JSON.parse(text) : undefined;
    this.check(operationId, operation.responses, response, body);
    return { status: response.status, headers: response.headers, body };
  }

  /** The answer must be one the document declares, in its declared media type and schema. */
  private check(operationId: string, responses: Record<string, { content?: Record<string, { schema: unknown }> }>, response: Response, body: unknown) {
    const declared = responses[String(response.status)];
    if (!declared) throw new Error(`${operationId}: status ${response.status} is not in the document`);
    if (!declared.content) return;
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!;
    const media = declared.content[type];
    if (!media) throw new Error(`${operationId}: content type ${type} for ${response.status} is not in the document`);
    const key = `${operationId} ${response.status} ${type}`;
    let validate = this.validators.get(key);
    if (!validate) this.validators.set(key, validate = this.ajv.compile(rebase(media.schema) as object));
    if (!validate(body)) throw new Error(`${operationId}: answer does not match its schema: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
  }
}
