import { Schema, type Connection, type Model, type Types } from 'mongoose';

// One security event, kept in MongoDB beside the log line so that the identity team can query it (by account,
// type, client, time) and so that it outlives log rotation, for `audit.retentionDays` (TTL on expiresAt).

export type AuditOutcome = 'success' | 'failure' | 'info';

export interface AuditActor {
  /** Who acted: the person signing in, an OAuth client (admin API), the command line, or the IdP itself. */
  type: 'user' | 'client' | 'cli' | 'system';
  id?: string;
}

export interface AuditEventDocument {
  /** Made when the event happened: ObjectIds order the log and carry its second, so they page it too. */
  _id: Types.ObjectId;
  at: Date;
  type: string;
  outcome: AuditOutcome;
  actor?: AuditActor;
  /** The account the event is about. */
  accountId?: string;
  client?: string;
  sp?: string;
  ip?: string;
  userAgent?: string;
  requestId?: string;
  reason?: string;
  /** Every other field the event named (never secrets: see audit-record.ts). */
  data?: Record<string, unknown>;
  expiresAt: Date;
}

export const AUDIT_COLLECTION = 'audit_events';

const schema = new Schema<AuditEventDocument>({
  at: { type: Date, required: true },
  type: { type: String, required: true },
  outcome: { type: String, required: true },
  actor: { type: Schema.Types.Mixed },
  accountId: String,
  client: String,
  sp: String,
  ip: String,
  userAgent: String,
  requestId: String,
  reason: String,
  data: { type: Schema.Types.Mixed },
  expiresAt: { type: Date, required: true },
}, { collection: AUDIT_COLLECTION, versionKey: false, autoIndex: false, autoCreate: false });

// Every query pages newest first by _id within one equality filter (audit-query.service.ts).
schema.index({ accountId: 1, _id: -1 }, { partialFilterExpression: { accountId: { $exists: true } } });
schema.index({ type: 1, _id: -1 });
schema.index({ client: 1, _id: -1 }, { partialFilterExpression: { client: { $exists: true } } });
schema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

export const auditEventModel = (connection: Connection): Model<AuditEventDocument> =>
  connection.model<AuditEventDocument>('AuditEvent', schema);

export type AuditEventModel = ReturnType<typeof auditEventModel>;
