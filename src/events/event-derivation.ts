import { createHash } from 'node:crypto';
import { ENGINE_COLLECTIONS, storedClientName } from '../oidc/engine-store.ts';
import type { EventType } from './event-catalogue.ts';

// Change stream change -> catalogue events. Pure: the deriver (event-deriver.ts) feeds it changes and stores what
// it returns. Ids are a hash of the change's resume token (which names the commit and the document), so deriving
// the same change twice, after a crash or by a second instance, yields the same event ids.

export interface StreamChange {
  _id: { _data: string };
  operationType: string;
  ns?: { coll?: string };
  clusterTime?: { getHighBits(): number };
  wallTime?: Date;
  documentKey?: { _id?: unknown };
  fullDocument?: Record<string, any> | null;
  fullDocumentBeforeChange?: Record<string, any> | null;
  updateDescription?: { updatedFields?: Record<string, unknown>; removedFields?: string[] };
}

export interface DerivedEvent {
  _id: string;
  type: EventType;
  occurredAt: Date;
  data: Record<string, unknown>;
}

export const WATCHED = {
  accounts: 'accounts',
  identities: 'federated_identities',
  factors: 'mfa_factors',
  consents: 'consent_records',
  grants: ENGINE_COLLECTIONS.grants,
  clients: ENGINE_COLLECTIONS.clients,
  sps: 'saml_sps',
  audit: 'audit_events',
  leads: 'leads',
} as const;

/** Attribute paths whose change is bookkeeping, not a profile change worth an event. */
const BOOKKEEPING = [/^updatedAt$/, /^lastLoginAt$/, /^profiling(\.|$)/, /^createdAt$/];
/** Secrets are named by what they are, never by their storage field. */
const RENAMED: Record<string, string> = { passwordHash: 'password' };

export function eventId(change: StreamChange, index: number): string {
  return `evt_${createHash('sha256').update(`${change._id._data}:${index}`).digest('base64url').slice(0, 32)}`;
}

function occurredAt(change: StreamChange): Date {
  if (change.wallTime) return change.wallTime;
  return change.clusterTime ? new Date(change.clusterTime.getHighBits() * 1000) : new Date();
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

/** A whole subdocument set at once (`profile: {...}`) names its attributes (`profile.given_name`), not `profile`. */
function leafPaths(fields: Record<string, unknown>, prefix = '', depth = 0): string[] {
  return Object.entries(fields).flatMap(([key, value]) => {
    const path = `${prefix}${key}`;
    return isPlainObject(value) && depth < 3 && Object.keys(value).length > 0 ? leafPaths(value, `${path}.`, depth + 1) : [path];
  });
}

/** Changed attribute names of an account update, top-level array indexes folded (`groups.3` -> `groups`). */
export function changedAttributes(update: StreamChange['updateDescription']): string[] {
  const paths = [...leafPaths(update?.updatedFields ?? {}), ...(update?.removedFields ?? [])];
  const names = new Set<string>();
  for (const raw of paths) {
    const path = raw.split('.').filter((part) => !/^\d+$/.test(part)).join('.');
    if (BOOKKEEPING.some((pattern) => pattern.test(path))) continue;
    names.add(RENAMED[path] ?? path);
  }
  return [...names].sort();
}

function accountEvents(change: StreamChange, id: string): Array<Omit<DerivedEvent, '_id' | 'occurredAt'>> {
  const accountId = id;
  switch (change.operationType) {
    case 'insert': return [{ type: 'user.created', data: { accountId, emailVerified: Boolean(change.fullDocument?.emailVerified) } }];
    case 'delete': return [{ type: 'user.deleted', data: { accountId } }];
    case 'replace': return [{ type: 'user.updated', data: { accountId, changed: ['*'] } }];
    case 'update': {
      const fields = change.updateDescription?.updatedFields ?? {};
      const events: Array<Omit<DerivedEvent, '_id' | 'occurredAt'>> = [];
      let changed = changedAttributes(change.updateDescription);
      if (fields.status === 'blocked') {
        events.push({ type: 'user.blocked', data: { accountId } });
        changed = changed.filter((name) => name !== 'status');
      }
      if (fields.emailVerified === true) {
        events.push({ type: 'user.email_verified', data: { accountId } });
        changed = changed.filter((name) => name !== 'emailVerified');
      }
      if (changed.length > 0) events.push({ type: 'user.updated', data: { accountId, changed } });
      return events;
    }
    default: return [];
  }
}

/** Lite registrations (src/leads): ids and the status change only, never the address or what was submitted. */
function leadEvents(change: StreamChange, leadId: string): Array<Omit<DerivedEvent, '_id' | 'occurredAt'>> {
  const doc = change.fullDocument ?? undefined;
  if (change.operationType === 'insert') return [{ type: 'lead.created', data: defined({ leadId, clientId: doc?.sources?.[0] }) }];
  if (change.operationType === 'delete') return [{ type: 'lead.deleted', data: { leadId } }];
  const fields = change.updateDescription?.updatedFields ?? {};
  if (change.operationType !== 'update') return [];
  if (fields.status === 'verified') return [{ type: 'lead.verified', data: { leadId } }];
  if (fields.status === 'converted' && typeof fields.accountId === 'string') return [{ type: 'lead.converted', data: { leadId, accountId: fields.accountId } }];
  return [];
}

function createdUpdatedDeleted(change: StreamChange, noun: 'client' | 'saml_sp', data: Record<string, unknown>) {
  const verb = { insert: 'created', replace: 'updated', update: 'updated', delete: 'deleted' }[change.operationType];
  return verb ? [{ type: `${noun}.${verb}` as EventType, data }] : [];
}

const defined = (value: Record<string, unknown>) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null));

function eventsOf(change: StreamChange): Array<Omit<DerivedEvent, '_id' | 'occurredAt'>> {
  const id = String(change.documentKey?._id ?? '');
  const doc = change.fullDocument ?? undefined;
  const before = change.fullDocumentBeforeChange ?? undefined;
  const op = change.operationType;
  switch (change.ns?.coll) {
    case WATCHED.accounts: return accountEvents(change, id);
    case WATCHED.identities:
      if (op === 'insert') return [{ type: 'identity.linked', data: { accountId: doc?.accountId, identityId: id, connectorId: doc?.connectorId } }];
      if (op === 'delete') return [{ type: 'identity.unlinked', data: defined({ identityId: id, accountId: before?.accountId, connectorId: before?.connectorId }) }];
      return [];
    case WATCHED.factors:
      if (op === 'insert') return [{ type: 'mfa.enrolled', data: { accountId: doc?.accountId, factorId: id, factorType: doc?.type } }];
      if (op === 'delete') return [{ type: 'mfa.removed', data: defined({ factorId: id, accountId: before?.accountId, factorType: before?.type }) }];
      return [];
    case WATCHED.consents:
      if (op !== 'insert' || !doc) return [];
      return [{
        type: doc.decision === 'withdrawn' ? 'consent.withdrawn' : 'consent.granted',
        data: defined({ accountId: doc.accountId, documentId: doc.documentId, version: doc.version, kind: doc.kind, receiptId: id, method: doc.method, clientId: doc.clientId }),
      }];
    case WATCHED.grants: return op === 'delete' ? [{ type: 'grant.revoked', data: { grantId: id } }] : [];
    case WATCHED.clients:
      return createdUpdatedDeleted(change, 'client', defined({ clientId: id, clientName: op === 'delete' ? undefined : storedClientName(doc) }));
    case WATCHED.sps: return createdUpdatedDeleted(change, 'saml_sp', { entityId: id });
    case WATCHED.leads: return leadEvents(change, id);
    case WATCHED.audit:
      if (op !== 'insert' || (doc?.type !== 'login.succeeded' && doc?.type !== 'login.failed')) return [];
      return [{ type: doc.type, data: defined({ accountId: doc.accountId, clientId: doc.client }) }];
    default: return [];
  }
}

export function deriveEvents(change: StreamChange): DerivedEvent[] {
  const at = occurredAt(change);
  return eventsOf(change).map((event, index) => ({ ...event, _id: eventId(change, index), occurredAt: at }));
}
