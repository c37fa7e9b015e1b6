import { z } from 'zod';
import type { ChangeCaches } from '../db/change-cache.ts';
import { AppError } from '../shared/app-error.ts';
import type { SecretBox } from '../keys/secret-box.ts';
import type { ConnectorTypes } from './connector-registry.ts';
import type { ClaimMapping, Connector, ConnectorRecord } from './connector.ts';
import type { ConnectorDocument, FederationModels } from './federation.models.ts';
import { PRESETS } from './presets.ts';

// Connectors are stored in MongoDB and read per sign-in, so `idp connectors add|remove` applies to a running
// server at once. Client secrets and private keys are sealed with the secret box (AES-256-GCM) at rest and are
// never printed. The id is a slug naming the callback path /federation/<id>/callback.

const SLUG = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const SECRET_OPTIONS = ['privateKey'];
const url = z.url({ protocol: /^https?$/ });

const mappingSchema = z.object({
  subject: z.string().min(1),
  email: z.string().min(1).optional(),
  email_verified: z.union([z.string().min(1), z.boolean()]).optional(),
  name: z.string().optional(), given_name: z.string().optional(), family_name: z.string().optional(),
  picture: z.string().optional(), locale: z.string().optional(), preferred_username: z.string().optional(),
}).strict();

export const connectorInputSchema = z.object({
  id: z.string().regex(SLUG, 'lower-case letters, digits, _ and -').optional(),
  type: z.string().optional(),
  preset: z.enum(Object.keys(PRESETS) as [string, ...string[]]).optional(),
  displayName: z.string().trim().min(1).max(100).optional(),
  logoUri: url.optional(),
  enabled: z.boolean().default(true),
  clientId: z.string().min(1).max(512),
  clientSecret: z.string().min(1).max(4096).optional(),
  issuer: url.optional(),
  endpoints: z.object({ authorization: url, token: url, userinfo: url, emails: url.optional() }).partial().default({}),
  scopes: z.union([z.array(z.string().min(1)), z.string().transform((s) => s.split(/\s+/).filter(Boolean))]).optional(),
  mapping: mappingSchema.partial().optional(),
  options: z.record(z.string(), z.string().max(8192)).default({}),
}).strict();

export type ConnectorInput = z.input<typeof connectorInputSchema>;

/** snake_case keys (client_id, display_name, authorization_endpoint ...) are accepted beside camelCase. */
function normalizeKeys(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const endpoints: Record<string, unknown> = { ...(input.endpoints as object | undefined) };
  for (const [key, value] of Object.entries(input)) {
    const endpoint = /^(authorization|token|userinfo)_endpoint$/.exec(key);
    if (endpoint) endpoints[endpoint[1]!] = value;
    else if (key === 'name') out.displayName = value;
    else if (key !== 'endpoints') out[key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())] = value;
  }
  if (Object.keys(endpoints).length) out.endpoints = endpoints;
  return out;
}

export function createConnectorService(deps: {
  models: FederationModels; box: SecretBox; issuer: string; allowHttp: boolean;
  /** The connector types this instance knows (connector-registry.ts, built by the composition root). */
  types: ConnectorTypes;
  /** The connectors collection's change cache: the enabled list is read on every sign-in page (db/change-cache.ts). */
  caches?: ChangeCaches;
}) {
  const { Connector } = deps.models;
  const cache = new Map<string, { version: number; connector: Connector }>();
  const lists = deps.caches?.derived<ConnectorRecord[]>(Connector.collection.collectionName);

  function toRecord(document: ConnectorDocument): ConnectorRecord {
    const options = { ...document.options };
    for (const key of document.sealedOptions ?? []) if (options[key]) options[key] = deps.box.open(options[key]);
    return {
      id: document._id, type: document.type, preset: document.preset, displayName: document.displayName,
      logoUri: document.logoUri, enabled: document.enabled, clientId: document.clientId,
      clientSecret: document.clientSecretSealed ? deps.box.open(document.clientSecretSealed) : undefined,
      issuer: document.issuer, endpoints: document.endpoints ?? {}, scopes: document.scopes,
      mapping: document.mapping as unknown as ClaimMapping, options, updatedAt: document.updatedAt,
    };
  }

  /** What `idp connectors add|list` prints: no secrets, plus the callback URL to register upstream. */
  function describe(document: ConnectorDocument) {
    const options = Object.fromEntries(Object.entries(document.options ?? {}).filter(([k]) => !(document.sealedOptions ?? []).includes(k)));
    return {
      id: document._id, type: document.type, ...(document.preset ? { preset: document.preset } : {}),
      displayName: document.displayName, ...(document.logoUri ? { logoUri: document.logoUri } : {}), enabled: document.enabled,
      clientId: document.clientId, hasClientSecret: Boolean(document.clientSecretSealed),
      ...(document.issuer ? { issuer: document.issuer } : {}), endpoints: document.endpoints, scopes: document.scopes,
      mapping: document.mapping, options, callbackUrl: `${deps.issuer}/federation/${document._id}/callback`,
    };
  }

  function build(raw: Record<string, unknown>): Omit<ConnectorDocument, 'createdAt' | 'updatedAt'> {
    const parsed = connectorInputSchema.safeParse(normalizeKeys(raw));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AppError(`connector.invalid: ${issue.path.join('.') || 'input'}: ${issue.message}`, 400);
    }
    const input = parsed.data;
    const preset = input.preset ? PRESETS[input.preset]! : undefined;
    const type = input.type ?? preset?.type ?? (input.issuer ? 'oidc' : 'oauth2');
    if (!Object.hasOwn(deps.types, type)) throw new AppError(`connector.invalid: type: unknown type ${type}`, 400);
    const options = { ...preset?.options, ...input.options };
    const mapping = { ...(preset?.mapping ?? (type === 'oidc' ? { subject: 'sub', email: 'email', email_verified: 'email_verified', name: 'name' } : {})), ...input.mapping };
    if (!mapping.subject) throw new AppError('connector.invalid: mapping.subject: required for OAuth 2.0 connectors', 400);
    const id = input.id ?? input.preset ?? input.displayName?.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
    if (!id || !SLUG.test(id)) throw new AppError('connector.invalid: id: give an "id" (a slug)', 400);
    const issuer = input.issuer ?? preset?.issuer?.(options);
    const endpoints = { ...preset?.endpoints, ...input.endpoints };
    if (type === 'oidc' && !issuer) throw new AppError('connector.invalid: issuer: required for OIDC connectors', 400);
    if (type === 'oauth2' && (!endpoints.authorization || !endpoints.token || !endpoints.userinfo)) {
      throw new AppError('connector.invalid: endpoints: authorization, token and userinfo are required for OAuth 2.0 connectors', 400);
    }
    const sealedOptions = SECRET_OPTIONS.filter((key) => options[key] !== undefined);
    for (const key of sealedOptions) options[key] = deps.box.seal(options[key]!);
    return {
      _id: id, type, preset: input.preset, displayName: input.displayName ?? preset?.displayName ?? id, logoUri: input.logoUri,
      enabled: input.enabled, clientId: input.clientId,
      clientSecretSealed: input.clientSecret === undefined ? undefined : deps.box.seal(input.clientSecret),
      issuer, endpoints: endpoints as Record<string, string>, scopes: input.scopes ?? preset?.scopes ?? (type === 'oidc' ? ['openid', 'email', 'profile'] : []),
      mapping, options, sealedOptions,
    };
  }

  return {
    async add(raw: Record<string, unknown>) {
      const document = build(raw);
      try {
        lists?.clear();
        const created = await Connector.create(document);
        return describe(created.toObject() as ConnectorDocument);
      } catch (error) {
        if ((error as { code?: number }).code === 11000) throw new AppError(`connector.exists: ${document._id}`, 409);
        throw error;
      }
    },
    async list() {
      const documents = await Connector.find().sort({ _id: 1 }).lean<ConnectorDocument[]>().exec();
      return documents.map(describe);
    },
    async remove(id: string) {
      lists?.clear();
      const result = await Connector.deleteOne({ _id: id }).exec();
      if (result.deletedCount === 0) throw new AppError(`connector.not_found: ${id}`, 404);
      cache.delete(id);
    },
    /** Enabled connectors, in a stable order, optionally limited to the ids a client offers. */
    async enabled(only?: string[]): Promise<ConnectorRecord[]> {
      const key = only ? JSON.stringify(only) : '*';
      const cached = lists?.get(key);
      if (cached) return [...cached];
      const filter = only ? { enabled: true, _id: { $in: only } } : { enabled: true };
      const documents = await Connector.find(filter).sort({ displayName: 1 }).lean<ConnectorDocument[]>().exec();
      const records = documents.map(toRecord);
      lists?.set(key, records);
      return [...records];
    },
    /** The runtime connector (openid-client configuration cached per connector version), or undefined. */
    async get(id: string): Promise<Connector | undefined> {
      const document = await Connector.findById(id).lean<ConnectorDocument>().exec();
      if (!document?.enabled) return undefined;
      const version = new Date(document.updatedAt).getTime();
      const cached = cache.get(id);
      if (cached?.version === version) return cached.connector;
      const record = toRecord(document);
      const connector = deps.types[record.type]!(record, { allowHttp: deps.allowHttp });
      cache.set(id, { version, connector });
      return connector;
    },
  };
}

export type ConnectorService = ReturnType<typeof createConnectorService>;
