import http from 'node:http';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import mongoose from 'mongoose';
import Provider, { type Configuration } from 'oidc-provider';
import { createMongoAdapterClass, engineCollectionName, engineIndexes, ENGINE_MODELS } from '../src/oidc/adapter/mongo.adapter.ts';
import { SCOPE_CLAIMS, SUPPORTED_SCOPES } from '../src/oidc/claims.ts';
import { countDriverCommands, failStartup, serveParent } from './lib/child.ts';
import { REDIRECT_URI } from './lib/protocol.ts';

// The baseline: a bare node-oidc-provider (the same version as ours), default in-memory adapter, one static
// client, findAccount returning static claims, and the features each scenario needs (clientCredentials,
// introspection, rotating refresh tokens). Same key set shape as ours (RS256 + ES256, current + next), same
// scopes and claims, so the ID tokens it signs on refresh cost the same. devInteractions stays on: it is only
// used once per worker to obtain the tokens the measured scenarios reuse.
//
// With BENCH_BARE_ADAPTER=mongo (engine "bare-mongo"), the same bare engine stores its data through our MongoDB
// adapter (src/oidc/adapter/mongo.adapter.ts) on the same driver, clients still static: the difference to "bare"
// is the cost of the storage, the difference to "ours" is the cost of everything else we add.

function privateJwk(alg: 'RS256' | 'ES256') {
  const pair = alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...pair.privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg, use: 'sig' };
}

async function main() {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'bench-rp';
  const clientSecret = randomBytes(32).toString('base64url');
  const withMongo = process.env.BENCH_BARE_ADAPTER === 'mongo';
  const commands = withMongo ? countDriverCommands() : undefined;
  let mongoClient: InstanceType<typeof mongoose.mongo.MongoClient> | undefined;
  let adapter: Configuration['adapter'];
  if (withMongo) {
    const base = process.env.BENCH_MONGO_URI;
    if (!base) throw new Error('BENCH_MONGO_URI is not set (start this through bench/run.ts)');
    const url = new URL(base);
    url.pathname = '/idp_bench_bare';
    // The pool options of src/db/connection.ts.
    mongoClient = new mongoose.mongo.MongoClient(url.toString(), { maxPoolSize: 20, serverSelectionTimeoutMS: 5000, socketTimeoutMS: 30_000 });
    await mongoClient.connect();
    const db = mongoClient.db();
    // Collections and indexes first, one after another, as src/db/schema.ts does.
    const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    for (const model of ENGINE_MODELS) {
      const name = engineCollectionName(model);
      if (!existing.has(name)) await db.createCollection(name);
      for (const index of engineIndexes(model)) await db.collection(name).createIndex(index.key, index.options);
    }
    adapter = createMongoAdapterClass(db) as unknown as Configuration['adapter'];
  }

  const configuration: Configuration = {
    ...(adapter ? { adapter } : {}),
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [privateJwk('RS256'), privateJwk('RS256'), privateJwk('ES256'), privateJwk('ES256')] } as Configuration['jwks'],
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({
        sub, email: 'bench.user@example.test', email_verified: true, name: 'Bench User', locale: 'en', updated_at: 1_700_000_000,
      }),
    }),
    claims: { acr: null, amr: null, auth_time: null, sid: null, ...SCOPE_CLAIMS } as unknown as Configuration['claims'],
    scopes: SUPPORTED_SCOPES,
    cookies: { keys: ['bench-cookie-key-0123456789abcdef0123456789'] },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
    },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: 3600, ClientCredentials: 600, AuthorizationCode: 60, IdToken: 3600,
      RefreshToken: 14 * 24 * 3600, Session: 14 * 24 * 3600, Interaction: 3600, Grant: 365 * 24 * 3600,
    },
  };
  const provider = new Provider(issuer, configuration);
  server.on('request', provider.callback());

  const version = (JSON.parse(readFileSync(path.resolve('node_modules/oidc-provider/package.json'), 'utf8')) as { version: string }).version;
  serveParent({
    engine: withMongo ? 'bare-mongo' : 'bare',
    issuer,
    clientId,
    clientSecret,
    redirectUri: REDIRECT_URI,
    loginValues: { login: 'bench-user', password: 'anything' },
    versions: { 'oidc-provider': version },
  }, {
    mongoCommands: () => commands?.read() ?? { total: 0, byCommand: {} },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await mongoClient?.close();
    },
  });
}

main().catch(failStartup);
