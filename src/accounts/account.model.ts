import { Schema, type Connection, type Model } from 'mongoose';

// One customer. `_id` is the OIDC `sub` (a random UUID, never the email). Email uniqueness is case-insensitive
// through `emailNormalized`. Profile claims use the OIDC standard claim names (Core 1.0 §5.1).

export interface Address {
  formatted?: string;
  street_address?: string;
  locality?: string;
  region?: string;
  postal_code?: string;
  country?: string;
}

export interface Profile {
  name?: string;
  given_name?: string;
  family_name?: string;
  middle_name?: string;
  nickname?: string;
  preferred_username?: string;
  picture?: string;
  website?: string;
  gender?: string;
  birthdate?: string;
  zoneinfo?: string;
  locale?: string;
  phone_number?: string;
  phone_number_verified?: boolean;
  address?: Address;
}

export interface AccountDocument {
  _id: string;
  email: string;
  emailNormalized: string;
  emailVerified: boolean;
  passwordHash?: string;
  status: 'active' | 'blocked';
  profile: Profile;
  /** Custom profile attributes of the configuration (src/profile), by key. */
  custom?: Record<string, string | number | boolean>;
  /** Progressive profiling state (src/profile): completed sign-ins, and when each question was last skipped. */
  profiling?: { signIns?: number; skipped?: Record<string, Date> };
  /** The account's id in a provisioning directory (SCIM `externalId`, RFC 7643 §3.1); unique when set. */
  externalId?: string;
  /** Ids of the groups the account belongs to (src/groups), released as the `groups` claim. */
  groups?: string[];
  /** Roles in the admin console (src/console): `admin` changes everything, `auditor` reads everything. */
  roles?: Array<'admin' | 'auditor'>;
  lastLoginAt?: Date;
  /** "Delete my account" with a grace period (accounts.deletionGraceDays): erased after this; a sign-in cancels it. */
  deletionScheduledFor?: Date;
  createdAt: Date;
  updatedAt: Date;
}

const addressSchema = new Schema<Address>({
  formatted: String, street_address: String, locality: String, region: String, postal_code: String, country: String,
}, { _id: false });

const profileSchema = new Schema<Profile>({
  name: String, given_name: String, family_name: String, middle_name: String, nickname: String,
  preferred_username: String, picture: String, website: String, gender: String, birthdate: String,
  zoneinfo: String, locale: String, phone_number: String, phone_number_verified: Boolean,
  address: { type: addressSchema, default: undefined },
}, { _id: false });

export const accountSchema = new Schema<AccountDocument>({
  _id: { type: String, required: true },
  email: { type: String, required: true },
  emailNormalized: { type: String, required: true },
  emailVerified: { type: Boolean, default: false },
  passwordHash: { type: String },
  status: { type: String, enum: ['active', 'blocked'], default: 'active' },
  profile: { type: profileSchema, default: () => ({}) },
  custom: { type: Schema.Types.Mixed, default: undefined },
  profiling: { type: Schema.Types.Mixed, default: undefined },
  externalId: { type: String, default: undefined },
  groups: { type: [String], default: undefined },
  roles: { type: [String], enum: ['admin', 'auditor'], default: undefined },
  lastLoginAt: Date,
  deletionScheduledFor: { type: Date, default: undefined },
}, { timestamps: true, versionKey: false, collection: 'accounts' });

accountSchema.index({ emailNormalized: 1 }, { unique: true, name: 'email_unique' });
// Directory searches (src/accounts/user-directory.service.ts): each filter walks its own index, so a search costs
// the same at 10k and at 10M accounts.
accountSchema.index({ 'profile.name': 1 }, { name: 'profile_name', partialFilterExpression: { 'profile.name': { $exists: true } } });
accountSchema.index({ externalId: 1 }, { name: 'external_id_unique', unique: true, partialFilterExpression: { externalId: { $exists: true } } });
accountSchema.index({ groups: 1 }, { name: 'groups', partialFilterExpression: { groups: { $exists: true } } });
accountSchema.index({ 'custom.$**': 1 }, { name: 'custom_attributes' });
accountSchema.index({ updatedAt: 1, _id: 1 }, { name: 'updated' });
accountSchema.index({ deletionScheduledFor: 1 }, { name: 'deletion_due', partialFilterExpression: { deletionScheduledFor: { $exists: true } } });

export type AccountModel = Model<AccountDocument>;
export const accountModel = (connection: Connection): AccountModel =>
  connection.model<AccountDocument>('Account', accountSchema);
