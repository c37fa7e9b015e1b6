import { Types } from 'mongoose';
import type { AuditEventDocument, AuditEventModel } from './audit-event.model.ts';

// Reading the audit log: newest first, filtered by account, type (exact, or a `prefix.*`), client and time range,
// in pages of at most 500 with an opaque cursor (the last event's id). Time bounds are turned into _id bounds too
// (ObjectIds carry their second), so every filter walks one of the {field, _id} indexes.

export interface AuditQuery {
  accountId?: string;
  type?: string;
  client?: string;
  since?: Date;
  until?: Date;
  limit?: number;
  cursor?: string;
}

export interface AuditPage {
  items: AuditEventView[];
  nextCursor?: string;
}

export type AuditEventView = Omit<AuditEventDocument, '_id' | 'expiresAt'> & { id: string };

export const MAX_AUDIT_PAGE = 500;

export class AuditQueryError extends Error {
  override name = 'AuditQueryError';
}

function idBound(date: Date, rounding: 'floor' | 'ceil'): Types.ObjectId {
  const secondsValue = date.getTime() / 1000;
  return Types.ObjectId.createFromTime(rounding === 'floor' ? Math.floor(secondsValue) : Math.ceil(secondsValue) + 1);
}

function filterOf(query: AuditQuery): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (query.accountId) filter.accountId = query.accountId;
  if (query.client) filter.client = query.client;
  if (query.type) {
    filter.type = query.type.endsWith('.*')
      ? { $regex: `^${query.type.slice(0, -2).replace(/[.]/g, '\\.')}\\.` }
      : query.type;
  }
  const id: Record<string, Types.ObjectId> = {};
  const at: Record<string, Date> = {};
  if (query.since) { id.$gte = idBound(query.since, 'floor'); at.$gte = query.since; }
  if (query.until) { id.$lt = idBound(query.until, 'ceil'); at.$lt = query.until; }
  if (query.cursor) {
    if (!Types.ObjectId.isValid(query.cursor) || query.cursor.length !== 24) throw new AuditQueryError('invalid cursor');
    const before = new Types.ObjectId(query.cursor);
    if (!id.$lt || before < id.$lt) id.$lt = before;
  }
  if (Object.keys(id).length) filter._id = id;
  if (Object.keys(at).length) filter.at = at;
  return filter;
}

const view = ({ _id, expiresAt: _expires, ...rest }: AuditEventDocument): AuditEventView => ({ id: _id.toHexString(), ...rest });

export function createAuditQueryService(model: AuditEventModel) {
  return {
    async list(query: AuditQuery): Promise<AuditPage> {
      const limit = Math.min(Math.max(query.limit ?? 50, 1), MAX_AUDIT_PAGE);
      if (query.type !== undefined && !/^[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?$/.test(query.type)) throw new AuditQueryError('invalid type');
      const docs = await model.collection.find(filterOf(query)).sort({ _id: -1 }).limit(limit + 1).toArray() as unknown as AuditEventDocument[];
      const items = docs.slice(0, limit).map(view);
      return docs.length > limit ? { items, nextCursor: items.at(-1)!.id } : { items };
    },
  };
}

export type AuditQueryService = ReturnType<typeof createAuditQueryService>;
