import { randomBytes } from 'node:crypto';
import type { mongo } from 'mongoose';
import { AppError } from '../shared/app-error.ts';
import { engineCollectionName } from './adapter/mongo.adapter.ts';
import type { Provider } from './provider.ts';
import type { ChangeCaches } from '../db/change-cache.ts';
import { withProfileDefaults } from './fapi-profile.ts';

// OIDC clients live in the engine's Client collection and are read by the engine on each request, so a change
// takes effect at once, without a restart. Metadata is RFC 7591 plus our extensions (first_party), validated by
// the engine itself before it is stored. Client ids never contain dots: the engine keys session data by them.
const CLIENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

export type ClientMetadata = Record<string, unknown> & { client_id: string };

/**
 * `caches`: the change-stream caches the engine reads clients through; this instance evicts its own copy at once on
 * every write (other instances evict when the change stream tells them, within milliseconds).
 */
export function createClientService(db: mongo.Db, provider: () => Provider, caches?: ChangeCaches) {
  // `internal` (outside the engine's payload) marks our own clients: not listed, not removable by the CLI.
  const collection = db.collection<{ _id: string; payload: ClientMetadata; internal?: boolean }>(engineCollectionName('Client'));
  const evict = (clientId: string) => caches?.for(collection.collectionName)?.evict(clientId);

  async function validate(metadata: ClientMetadata): Promise<void> {
    try {
      await provider().Client.validate(metadata);
    } catch (error) {
      const e = error as { error?: string; error_description?: string; message: string };
      throw new AppError(`client.invalid_metadata: ${e.error_description ?? e.message}`, 400, { cause: error });
    }
  }

  return {
    async add(input: Record<string, unknown>): Promise<ClientMetadata> {
      // Hex, not base64url: a generated id must never start with '-', or `idp clients remove <id>` reads it as a flag.
      const clientId = input.client_id ?? randomBytes(16).toString('hex');
      if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) {
        throw new AppError('client.invalid_client_id', 400, { expose: true });
      }
      // A security profile (FAPI 2.0) fills in the metadata it implies, before a secret is considered.
      const metadata: ClientMetadata = withProfileDefaults({ ...input, client_id: clientId });
      const authMethod = metadata.token_endpoint_auth_method ?? 'client_secret_basic';
      if (authMethod !== 'none' && metadata.client_secret === undefined && !['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'].includes(String(authMethod))) {
        metadata.client_secret = randomBytes(32).toString('base64url');
      }
      await validate(metadata);
      await collection.insertOne({ _id: clientId, payload: metadata }).catch((error: { code?: number }) => {
        if (error.code === 11000) throw new AppError(`client.exists: ${clientId}`, 409);
        throw error;
      });
      return metadata;
    },
    /** Registers or updates one of our own clients (metadata validated by the engine like any other). */
    async ensureInternal(metadata: ClientMetadata): Promise<void> {
      await provider().Client.validate(metadata);
      await collection.replaceOne({ _id: metadata.client_id }, { payload: metadata, internal: true }, { upsert: true });
    },
    /** Removes one of our own clients (e.g. the OIDC client of a SAML SP that is removed). */
    async removeInternal(clientId: string): Promise<void> {
      await collection.deleteOne({ _id: clientId, internal: true });
    },
    async list(): Promise<ClientMetadata[]> {
      const clients = await collection.find({ internal: { $ne: true } }).sort({ _id: 1 }).toArray();
      return clients.map(({ payload }) => {
        const { client_secret: _secret, ...rest } = payload;
        return rest as ClientMetadata;
      });
    },
    async get(clientId: string): Promise<ClientMetadata> {
      const stored = await collection.findOne({ _id: clientId, internal: { $ne: true } });
      if (!stored) throw new AppError(`client.not_found: ${clientId}`, 404);
      const { client_secret: _secret, ...rest } = stored.payload;
      return rest as ClientMetadata;
    },
    /**
     * Changes metadata (keys given replace the stored ones; null removes a key), validated by the engine like a new
     * client. The id and the secret are not changed here (see rotateSecret).
     */
    async update(clientId: string, changes: Record<string, unknown>): Promise<ClientMetadata> {
      const stored = await collection.findOne({ _id: clientId, internal: { $ne: true } });
      if (!stored) throw new AppError(`client.not_found: ${clientId}`, 404);
      const { client_id: _id, client_secret: _secret, ...rest } = changes;
      let metadata: ClientMetadata = { ...stored.payload };
      for (const [key, value] of Object.entries(rest)) {
        if (value === null) delete metadata[key];
        else metadata[key] = value;
      }
      metadata = withProfileDefaults(metadata);
      await validate(metadata);
      await collection.replaceOne({ _id: clientId }, { payload: metadata });
      evict(clientId);
      const { client_secret: _hidden, ...shown } = metadata;
      return shown as ClientMetadata;
    },
    /** A new client secret, returned once; the old one stops working at once. */
    async rotateSecret(clientId: string): Promise<ClientMetadata> {
      const stored = await collection.findOne({ _id: clientId, internal: { $ne: true } });
      if (!stored) throw new AppError(`client.not_found: ${clientId}`, 404);
      if (stored.payload.client_secret === undefined) throw new AppError('client.no_secret', 409, { expose: true });
      const metadata: ClientMetadata = { ...stored.payload, client_secret: randomBytes(32).toString('base64url') };
      await collection.replaceOne({ _id: clientId }, { payload: metadata });
      evict(clientId);
      return metadata;
    },
    async remove(clientId: string): Promise<void> {
      const result = await collection.deleteOne({ _id: clientId, internal: { $ne: true } });
      evict(clientId);
      if (result.deletedCount === 0) throw new AppError(`client.not_found: ${clientId}`, 404);
    },
  };
}

export type ClientService = ReturnType<typeof createClientService>;
