import { Schema, type Connection, type Model } from 'mongoose';

// What the risk check remembers per account (networks, countries, the last sign-in, recent failures), and the
// decision it took for a sign-in session, so that a session whose risky sign-in skipped its MFA step cannot be
// reused without it (keyed by the engine's session uid and login time).

export interface RiskProfileDocument {
  _id: string;
  networks: string[];
  countries: string[];
  lastSignIn?: { at: Date; country?: string; lat?: number; lon?: number };
  failures: Date[];
}

export const riskProfileSchema = new Schema<RiskProfileDocument>({
  _id: { type: String, required: true },
  networks: { type: [String], default: [] },
  countries: { type: [String], default: [] },
  lastSignIn: { type: new Schema({ at: Date, country: String, lat: Number, lon: Number }, { _id: false }), default: undefined },
  failures: { type: [Date], default: [] },
}, { versionKey: false, collection: 'mfa_risk_profiles' });

export interface RiskDecisionDocument {
  _id: string;
  accountId: string;
  loginTs?: number;
  mfa: boolean;
  expiresAt: Date;
}

export const riskDecisionSchema = new Schema<RiskDecisionDocument>({
  _id: { type: String, required: true },
  accountId: { type: String, required: true },
  loginTs: Number,
  mfa: { type: Boolean, required: true },
  expiresAt: { type: Date, required: true },
}, { versionKey: false, collection: 'mfa_risk_decisions' });

riskDecisionSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' });

export type RiskProfileModel = Model<RiskProfileDocument>;
export type RiskDecisionModel = Model<RiskDecisionDocument>;
export const riskProfileModel = (connection: Connection): RiskProfileModel =>
  connection.model<RiskProfileDocument>('MfaRiskProfile', riskProfileSchema);
export const riskDecisionModel = (connection: Connection): RiskDecisionModel =>
  connection.model<RiskDecisionDocument>('MfaRiskDecision', riskDecisionSchema);
