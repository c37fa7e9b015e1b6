import { createHash } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';

// Assertion replay cache (saml-profiles §4.1.4.5: "the service provider MUST ensure that bearer assertions are not
// replayed"): each assertion ID is stored per connector until the assertion could no longer be accepted anyway
// (its NotOnOrAfter plus the clock skew), then the TTL index drops it. The unique _id makes the check atomic.

export interface SeenAssertionDocument {
  _id: string;
  connectorId: string;
  expiresAt: Date;
}

export const seenAssertionSchema = new Schema<SeenAssertionDocument>({
  _id: { type: String, required: true },
  connectorId: { type: String, required: true },
  expiresAt: { type: Date, required: true },
}, { versionKey: false, collection: 'saml_sp_seen_assertions' });

seenAssertionSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' });

export const samlSpModels = (connection: Connection) => ({
  SamlSpSeenAssertion: connection.model<SeenAssertionDocument>('SamlSpSeenAssertion', seenAssertionSchema) as Model<SeenAssertionDocument>,
});

export type SamlSpModels = ReturnType<typeof samlSpModels>;

export function createReplayCache(models: SamlSpModels) {
  return {
    /** True the first time an assertion ID is seen for this connector, false on a replay. */
    async remember(connectorId: string, assertionId: string, expiresAt: Date): Promise<boolean> {
      const _id = createHash('sha256').update(`${connectorId}\n${assertionId}`).digest('base64url');
      try {
        await models.SamlSpSeenAssertion.create({ _id, connectorId, expiresAt });
        return true;
      } catch (error) {
        if ((error as { code?: number }).code === 11000) return false;
        throw error;
      }
    },
  };
}

export type ReplayCache = ReturnType<typeof createReplayCache>;
