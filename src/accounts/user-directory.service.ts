import type { mongo } from 'mongoose';
import type { AuditActor } from '../audit/audit-event.model.ts';
import type { Models } from '../db/models.ts';
import { AppError } from '../shared/app-error.ts';
import type { Audit } from '../shared/audit.ts';
import type { AccountSessions } from '../oidc/account-sessions.ts';
import type { BackchannelOutcome } from '../oidc/end-session.ts';
import type { AttributeSchema } from '../profile/attribute-schema.ts';
import type { ProfileService } from '../profile/profile.service.ts';
import type { AccountDocument } from './account.model.ts';
import type { AccountService } from './account.service.ts';
import type { PersonalData } from './personal-data.service.ts';
import { isDuplicateKey, normalizeEmail } from './account.repository.ts';
import { searchUsers, type UserPage, type UserQuery } from './user-search.ts';

// Managing customer accounts: the one code path behind the `idp users` commands, the admin API and SCIM. Every
// change names its actor in the audit trail (a client id for the API, the operator for the CLI).

export interface NewUser {
  email: string;
  password?: string;
  name?: string;
  verified?: boolean;
  externalId?: string;
  /** Profile attributes (standard claims and custom attributes), validated by the attribute schema. */
  attributes?: Record<string, unknown>;
}

export interface UserChanges {
  attributes?: Record<string, unknown>;
  emailVerified?: boolean;
  externalId?: string | null;
}

export interface UserDirectoryDeps {
  models: Models;
  db: mongo.Db;
  accounts: AccountService;
  schema: AttributeSchema;
  profile: ProfileService;
  sessions: AccountSessions;
  /** Unlinks an upstream identity (the linking service's rule: never the last way to sign in). */
  unlinkIdentity: (accountId: string, identityId: string) => Promise<void>;
  audit: Audit;
  personalData: PersonalData;
  /** accounts.deletionGraceDays */
  deletionGraceDays?: number;
  /**
   * The engine's logout of one session by its uid (oidc/end-session.ts endSessionByUid): back-channel logout to the
   * sites signed in through it, grants revoked unless they outlive logout, the session destroyed.
   */
  endSessionByUid: (uid: string) => Promise<unknown>;
}


export function createUserDirectory(deps: UserDirectoryDeps) {
  const { models, audit } = deps;
  const profileKeys = new Set(deps.schema.all().filter((d) => d.standard).map((d) => d.key));

  async function get(id: string): Promise<AccountDocument> {
    const account = await models.Account.findById(id).lean<AccountDocument>().exec();
    if (!account) throw new AppError('account.not_found', 404);
    return account;
  }

  /** Checks every attribute before anything is written: unknown keys and invalid values are 400s naming the field. */
  function checkAttributes(attributes: Record<string, unknown>): void {
    const keys = Object.keys(attributes);
    const unknown = keys.find((key) => !deps.schema.get(key) || key === 'email');
    if (unknown) throw new AppError('profile.unknown_attribute', 400, { field: unknown, expose: true });
    const { errors } = deps.schema.validate(attributes, keys, []);
    const [field, code] = Object.entries(errors)[0] ?? [];
    if (field && code) throw new AppError(code, 400, { field, expose: true });
  }

  /** Stores the given values; an empty string or null clears an attribute. */
  async function saveAttributes(id: string, attributes: Record<string, unknown>): Promise<void> {
    const empty = (value: unknown) => value === '' || value === null;
    const keys = Object.keys(attributes).filter((key) => !empty(attributes[key]));
    const cleared = Object.keys(attributes).filter((key) => empty(attributes[key]));
    if (keys.length) {
      const errors = await deps.profile.save(id, attributes, keys, { source: 'admin' });
      const [field, code] = Object.entries(errors)[0] ?? [];
      if (field && code) throw new AppError(code, 400, { field, expose: true });
    }
    await deps.profile.clear(id, cleared, { source: 'admin' });
  }

  async function setExternalId(id: string, externalId: string | null | undefined): Promise<void> {
    if (externalId === undefined) return;
    try {
      const update = externalId === null ? { $unset: { externalId: 1 } } : { $set: { externalId } };
      await models.Account.updateOne({ _id: id }, update).exec();
    } catch (error) {
      if (isDuplicateKey(error)) throw new AppError('account.external_id_taken', 409, { field: 'externalId', expose: true });
      throw error;
    }
  }

  return {
    get,
    search: (query: UserQuery): Promise<UserPage> => searchUsers(models.Account, query, profileKeys),
    findByExternalId: (externalId: string) => models.Account.findOne({ externalId }).lean<AccountDocument>().exec(),

    async create(input: NewUser, actor: AuditActor): Promise<AccountDocument> {
      if (input.attributes) checkAttributes(input.attributes);
      if (input.externalId && await models.Account.exists({ externalId: input.externalId })) {
        throw new AppError('account.external_id_taken', 409, { field: 'externalId', expose: true });
      }
      const account = await deps.accounts.createByAdmin({ email: input.email, password: input.password, name: input.name, verified: input.verified });
      try {
        await setExternalId(account._id, input.externalId);
        if (input.attributes) await saveAttributes(account._id, input.attributes);
      } catch (error) {
        // Nothing half-written: an account whose attributes could not be stored is not left behind.
        await models.Account.deleteOne({ _id: account._id }).exec();
        throw error;
      }
      audit('user.created', { accountId: account._id, actor });
      return get(account._id);
    },

    async update(id: string, changes: UserChanges, actor: AuditActor): Promise<AccountDocument> {
      await get(id);
      if (changes.attributes) checkAttributes(changes.attributes);
      await setExternalId(id, changes.externalId);
      if (changes.attributes) await saveAttributes(id, changes.attributes);
      if (changes.emailVerified !== undefined) {
        await models.Account.updateOne({ _id: id }, { $set: { emailVerified: changes.emailVerified } }).exec();
      }
      const changed = [...Object.keys(changes.attributes ?? {}), ...(changes.emailVerified !== undefined ? ['email_verified'] : []),
        ...(changes.externalId !== undefined ? ['externalId'] : [])];
      audit('user.updated', { accountId: id, actor, changed });
      return get(id);
    },

    /** Blocking ends every session and grant at once; a blocked account cannot sign in anywhere. */
    async setStatus(id: string, status: 'active' | 'blocked', actor: AuditActor): Promise<AccountDocument> {
      const result = await models.Account.updateOne({ _id: id }, { $set: { status } }).exec();
      if (result.matchedCount === 0) throw new AppError('account.not_found', 404);
      if (status === 'blocked') {
        await deps.sessions.endAllSessions(id);
        await deps.sessions.revokeAllGrants(id);
      }
      audit(status === 'blocked' ? 'user.blocked' : 'user.unblocked', { accountId: id, actor });
      return get(id);
    },

    /** Finds an account by its id or (containing an @) its email, as the CLI names people. */
    async resolve(idOrEmail: string): Promise<AccountDocument> {
      if (!idOrEmail.includes('@')) return get(idOrEmail);
      const account = await models.Account.findOne({ emailNormalized: normalizeEmail(idOrEmail) }).lean<AccountDocument>().exec();
      if (!account) throw new AppError('account.not_found', 404);
      return account;
    },

    /** Everything kept about the person (GDPR art. 15/20), without secrets: personal-data.service.ts. */
    async exportData(id: string, actor: AuditActor) {
      const data = await deps.personalData.exportData(await get(id));
      audit('user.exported', { accountId: id, actor });
      return data;
    },

    /**
     * Erasure (GDPR art. 17): the account and everything kept about it in every collection, back-channel logout to
     * the RPs it was signed in to, earlier audit events stripped of who they were about.
     */
    async remove(id: string, actor: AuditActor): Promise<BackchannelOutcome[]> {
      const backchannel = await deps.personalData.erase(await get(id));
      // The record of the erasure keeps the random id only (no email, name, address or browser), which no longer
      // leads to anybody; who acted stays named unless it was the person.
      audit('user.deleted', {
        accountId: id, actor: actor.type === 'user' ? { type: 'user' } : actor, ip: null, userAgent: null,
        backchannelSent: backchannel.filter((b) => b.ok).length, backchannelFailed: backchannel.filter((b) => !b.ok).length,
      });
      return backchannel;
    },

    /**
     * "Delete my account": erased at once, or after the configured grace period (signed out everywhere meanwhile;
     * signing in again cancels it). Returns when the erasure happens.
     */
    async requestDeletion(id: string, actor: AuditActor): Promise<{ erased: boolean; at: Date }> {
      const days = deps.deletionGraceDays ?? 0;
      if (days === 0) {
        await this.remove(id, actor);
        return { erased: true, at: new Date() };
      }
      const at = new Date(Date.now() + days * 24 * 3600 * 1000);
      await get(id);
      await models.Account.updateOne({ _id: id }, { $set: { deletionScheduledFor: at } }).exec();
      await deps.personalData.signOut(id);
      audit('user.deletion_scheduled', { accountId: id, actor, at });
      return { erased: false, at };
    },
    /** Erases the accounts whose grace period is over (run periodically by the server and by `idp users purge`). */
    async purgeScheduled(now = new Date()): Promise<number> {
      const due = await models.Account.find({ deletionScheduledFor: { $lte: now } }, { _id: 1 }).limit(1000).lean<Array<{ _id: string }>>().exec();
      for (const { _id } of due) await this.remove(_id, { type: 'system' });
      return due.length;
    },

    // An operator ending sessions signs the person out of the sites too (OIDC Back-Channel Logout 1.0 §2.5), as the
    // person's own "sign out" does; a session without a uid (none in practice) is only deleted.
    async endSession(id: string, sessionId: string, actor: AuditActor): Promise<void> {
      const session = (await deps.sessions.listSessions(id)).find((s) => s.id === sessionId);
      if (!session) throw new AppError('session.not_found', 404);
      if (session.uid) await deps.endSessionByUid(session.uid);
      else await deps.sessions.endSession(id, sessionId);
      audit('session.ended_by_admin', { accountId: id, actor });
    },
    async endAllSessions(id: string, actor: AuditActor): Promise<number> {
      await get(id);
      const sessions = await deps.sessions.listSessions(id);
      for (const session of sessions) if (session.uid) await deps.endSessionByUid(session.uid);
      const ended = sessions.filter((s) => s.uid).length + await deps.sessions.endAllSessions(id);
      audit('session.ended_by_admin', { accountId: id, actor, ended });
      return ended;
    },
    async revokeGrant(id: string, grantId: string, actor: AuditActor): Promise<void> {
      if (!(await deps.sessions.revokeGrant(id, grantId))) throw new AppError('grant.not_found', 404);
      audit('grant.revoked_by_admin', { accountId: id, actor, grantId });
    },
    async unlinkIdentity(id: string, identityId: string, actor: AuditActor): Promise<void> {
      await get(id);
      await deps.unlinkIdentity(id, identityId);
      audit('identity.unlinked_by_admin', { accountId: id, actor });
    },

    async setPassword(id: string, password: string, actor: AuditActor): Promise<void> {
      await get(id);
      await deps.accounts.setPassword(id, password);
      audit('user.password_set', { accountId: id, actor });
    },
    /** Changes the sign-in address (unverified until proven, unless `verified`); refused when another account has it. */
    async setEmail(id: string, email: string, verified: boolean, actor: AuditActor): Promise<void> {
      const account = await get(id);
      if (normalizeEmail(account.email) === normalizeEmail(email)) {
        if (account.email !== email) await models.Account.updateOne({ _id: id }, { $set: { email } }).exec();
        return;
      }
      try {
        await models.Account.updateOne({ _id: id }, { $set: { email, emailNormalized: normalizeEmail(email), emailVerified: verified } }).exec();
      } catch (error) {
        if (isDuplicateKey(error)) throw new AppError('account.email_taken', 409, { field: 'email', expose: true });
        throw error;
      }
      audit('user.email_changed', { accountId: id, actor });
    },
    /**
     * Optimistic concurrency (SCIM If-Match, RFC 7644 §3.14): claims the version last seen; false when the account
     * changed since, so the caller answers 412 and writes nothing.
     */
    async claimVersion(id: string, updatedAt: Date): Promise<boolean> {
      const result = await models.Account.updateOne({ _id: id, updatedAt }, { $set: { updatedAt: new Date() } }, { timestamps: false }).exec();
      return result.modifiedCount === 1;
    },

    /** The account's roles in the admin console (replaced as a whole; [] removes every role). */
    async setRoles(id: string, roles: Array<'admin' | 'auditor'>, actor: AuditActor): Promise<AccountDocument> {
      const unique = [...new Set(roles)];
      const update = unique.length ? { $set: { roles: unique } } : { $unset: { roles: 1 } };
      const result = await models.Account.updateOne({ _id: id }, update).exec();
      if (result.matchedCount === 0) throw new AppError('account.not_found', 404);
      audit('user.roles_changed', { accountId: id, actor, roles: unique });
      return get(id);
    },

    /** Removes every second factor and remembered device: the person signs in with the password and enrols anew. */
    async resetFactors(id: string, actor: AuditActor): Promise<number> {
      await get(id);
      const removed = (await models.MfaFactor.collection.deleteMany({ accountId: id })).deletedCount;
      await models.MfaDevice.collection.deleteMany({ accountId: id });
      await models.MfaLockout.collection.deleteMany({ _id: id } as never);
      audit('mfa.reset', { accountId: id, actor, removed });
      return removed;
    },

    async sendPasswordReset(id: string, actor: AuditActor, locale: 'ja' | 'en' = 'ja'): Promise<void> {
      const account = await get(id);
      await deps.accounts.requestPasswordReset(account.email, { ip: '', locale });
      audit('user.password_reset_sent', { accountId: id, actor });
    },
  };
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;
