import type { mongo } from 'mongoose';
import type { AuditQueryService, AuditEventView } from '../audit/audit-query.service.ts';
import type { ConsentRecord } from '../consents/consent-record.model.ts';
import type { Models } from '../db/models.ts';
import type { AccountSessions } from '../oidc/account-sessions.ts';
import type { BackchannelOutcome } from '../oidc/end-session.ts';
import type { SamlAccountData } from '../saml/idp/saml-account-data.ts';
import type { AccountDocument } from './account.model.ts';
import { publicAccount } from './public-account.ts';
import { escapeRegex } from '../db/regex.ts';

// The data subject's rights over what we hold about them (GDPR art. 15/20 access and portability, art. 17
// erasure; APPI art. 33/35): one export that gathers every collection naming the account, and one erasure that
// removes it from every collection. Secrets never leave (no password hash, no TOTP key, no recovery digest, no
// upstream token); the audit trail keeps only what is not personal once the account is gone.

export interface PersonalDataDeps {
  models: Models;
  db: mongo.Db;
  sessions: AccountSessions;
  auditQuery: AuditQueryService;
  /** Writes the audit events still queued, so that scrubbing sees them too. */
  flushAudit(): Promise<void>;
  /** Ends every engine session of the account with back-channel logout to the RPs signed in through them. */
  logoutEverywhere(accountId: string): Promise<BackchannelOutcome[]>;
  saml?: SamlAccountData;
  /** A signed consent receipt (Kantara CR v1.1) for a granted record, when its document version is known. */
  receipt?(record: ConsentRecord): Promise<string | undefined>;
  /** Other stores that keep data about a person by account id or email (lite registrations ...). */
  extraErasers?: Array<(account: AccountDocument) => Promise<void>>;
  /** Their part of the export, by section name (`leads` ...). */
  extraExports?: Record<string, (account: AccountDocument) => Promise<unknown>>;
}

export const EXPORT_FORMAT = 'idp.personal-data.v1';
/** Enough for years of an account's audit events; the export stays bounded. */
const MAX_AUDIT_EVENTS = 10_000;

/** The documents of one collection by account, without the store's own fields. */
async function byAccount<T>(collection: mongo.Collection, accountId: string, projection: Record<string, 0 | 1> = {}): Promise<T[]> {
  return (await collection.find({ accountId }, { projection }).limit(5000).toArray()) as unknown as T[];
}


export function createPersonalData(deps: PersonalDataDeps) {
  const { models, db } = deps;

  async function auditEvents(accountId: string): Promise<AuditEventView[]> {
    const events: AuditEventView[] = [];
    let cursor: string | undefined;
    do {
      const page = await deps.auditQuery.list({ accountId, limit: 500, cursor });
      events.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && events.length < MAX_AUDIT_EVENTS);
    return events;
  }

  async function consents(accountId: string) {
    const records = await byAccount<ConsentRecord>(models.ConsentRecord.collection, accountId);
    return Promise.all(records.map(async (record) => ({
      receiptId: record._id, ...record, _id: undefined,
      ...(record.decision === 'granted' && deps.receipt ? { receipt: await deps.receipt(record).catch(() => undefined) } : {}),
    })));
  }

  return {
    /** Everything we hold about the person, machine-readable (art. 20: "structured, commonly used"). */
    async exportData(account: AccountDocument) {
      const id = account._id;
      const risk = await models.MfaRiskProfile.collection.findOne({ _id: id } as never, { projection: { failures: 0 } });
      return {
        format: EXPORT_FORMAT,
        exportedAt: new Date(),
        account: { ...publicAccount(account), ...(account.profiling ? { profiling: account.profiling } : {}) },
        identities: await byAccount(models.Identity.collection, id, { accountId: 0 }),
        // Factors without their secrets: the kind, the name, when, and a passkey's public identifiers.
        factors: await byAccount(models.MfaFactor.collection, id, { secretSealed: 0, codeDigests: 0, lastStep: 0, 'credential.publicKey': 0, 'credential.counter': 0, accountId: 0 }),
        devices: await byAccount(models.MfaDevice.collection, id, { deviceHash: 0, accountId: 0 }),
        // The browser and network behind each sign-in session (/account/sessions).
        sessionDevices: await byAccount(models.SessionDevice.collection, id, { accountId: 0 }),
        // A change of address waiting for its code (/account/email): the new address, never the code.
        pendingEmailChanges: await models.ActionToken.collection
          .find({ accountId: id, purpose: 'email_change', consumedAt: { $exists: false } }, { projection: { _id: 0, email: 1, expiresAt: 1, createdAt: 1 } }).toArray(),
        riskProfile: risk ? { ...risk, _id: undefined } : undefined,
        consents: await consents(id),
        sessions: await deps.sessions.listSessions(id),
        grants: await deps.sessions.listGrants(id),
        saml: await deps.saml?.exportOf(id),
        auditEvents: await auditEvents(id),
        ...Object.fromEntries(await Promise.all(Object.entries(deps.extraExports ?? {}).map(async ([name, read]) => [name, await read(account)]))),
      };
    },

    /** Signed out everywhere, each RP told by back-channel logout (a deletion waiting for its grace period). */
    async signOut(accountId: string): Promise<BackchannelOutcome[]> {
      const backchannel = await deps.logoutEverywhere(accountId);
      await deps.sessions.endAllSessions(accountId);
      await deps.sessions.revokeAllGrants(accountId);
      return backchannel;
    },

    /** Removes the person from every collection; returns the back-channel logouts sent. */
    async erase(account: AccountDocument): Promise<BackchannelOutcome[]> {
      const id = account._id;
      // Sessions first and one by one, through the engine: each RP signed in gets its logout token.
      const backchannel = await deps.logoutEverywhere(id);
      await deps.sessions.endAllSessions(id);
      await deps.sessions.revokeAllGrants(id);
      await deps.sessions.eraseEngineRecords(id);
      for (const model of [models.Identity, models.MfaFactor, models.MfaDevice, models.MfaChallenge, models.MfaRiskDecision,
        models.ActionToken, models.ConsentRecord, models.SessionDevice]) {
        await model.collection.deleteMany({ accountId: id });
      }
      // An upstream sign-in in progress may name the account as a candidate or only by its address.
      await models.FederationTransaction.collection.deleteMany({ $or: [{ accountId: id }, { candidateIds: id }, { email: account.email }, { 'profile.email': account.email }] });
      for (const model of [models.MfaRiskProfile, models.MfaLockout]) await model.collection.deleteMany({ _id: id } as never);
      await deps.saml?.erase(id);
      for (const erase of deps.extraErasers ?? []) await erase(account);
      await models.Account.deleteOne({ _id: id }).exec();
      await scrubAuditTrail(id);
      return backchannel;
    },
  };

  /**
   * Earlier audit events stay (the security record of what happened) but no longer say who: the account id, the
   * addresses and browsers, and the free-form details go (audit_events keeps ip and userAgent per event).
   */
  async function scrubAuditTrail(accountId: string): Promise<void> {
    await deps.flushAudit();
    const audit = db.collection(models.AuditEvent.collection.collectionName);
    const personal = { ip: '', userAgent: '', data: '' };
    await audit.updateMany({ accountId }, { $unset: { accountId: '', ...personal } });
    // Where the person acted themselves; an operator or client acting on them stays named.
    await audit.updateMany({ 'actor.id': accountId }, { $unset: { 'actor.id': '', ...personal } });
    // Request paths name the account too (/admin/api/v1/users/<id>/..., /scim/v2/Users/<id>); the id goes, the
    // rest of the record (which client asked for what, and the answer) stays.
    await audit.updateMany({ 'data.path': { $regex: escapeRegex(accountId) } }, [
      { $set: { 'data.path': { $replaceAll: { input: '$data.path', find: accountId, replacement: '{erased}' } } } },
    ]);
  }
}

export type PersonalData = ReturnType<typeof createPersonalData>;
