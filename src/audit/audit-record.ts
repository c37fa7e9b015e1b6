import { Types } from 'mongoose';
import type { AuditActor, AuditEventDocument, AuditOutcome } from './audit-event.model.ts';

// Turns the free-form fields of an audit call into the stored shape: the fields every query filters on get their
// own place, the rest goes to `data`, cut to a safe size, with anything that looks like a secret left out (the
// log redacts the same names: src/ops/logger.ts).

export interface RequestFacts {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

const SECRET_KEY = /pass(word)?|secret|token|code$|^code|otp|credential|cookie|authorization|private|hash/i;
const MAX_STRING = 500;
const MAX_KEYS = 30;
const DAY_MS = 24 * 3600 * 1000;

/** `*.failed`, `*.refused` ... are failures; `*.succeeded` successes; everything else a fact. */
export function outcomeOf(type: string): AuditOutcome {
  const last = type.slice(type.lastIndexOf('.') + 1);
  if (/^(failed|refused|denied|lockout|locked|exceeded|error)$/.test(last)) return 'failure';
  if (/^(succeeded|success|accepted)$/.test(last)) return 'success';
  return 'info';
}

function clean(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return depth > 2 ? undefined : value.slice(0, 20).map((item) => clean(item, depth + 1));
  if (typeof value === 'object' && depth <= 2) return cleanObject(value as Record<string, unknown>, depth + 1);
  return undefined;
}

function cleanObject(fields: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields).slice(0, MAX_KEYS)) {
    if (SECRET_KEY.test(key) || value === undefined) continue;
    const cleaned = clean(value, depth);
    if (cleaned !== undefined) out[key.replace(/^\$/, '_').replace(/\./g, '_')] = cleaned;
  }
  return out;
}

const text = (value: unknown) => (typeof value === 'string' && value ? value.slice(0, MAX_STRING) : undefined);

export function toAuditRecord(type: string, fields: Record<string, unknown>, request: RequestFacts | undefined, retentionDays: number, now = new Date()): AuditEventDocument {
  const { accountId, client, clientId, sp, reason, actor, ip, userAgent, ...rest } = fields;
  const record: AuditEventDocument = {
    _id: new Types.ObjectId(Math.floor(now.getTime() / 1000)),
    at: now,
    type,
    outcome: outcomeOf(type),
    expiresAt: new Date(now.getTime() + retentionDays * DAY_MS),
  };
  const assign = <K extends keyof AuditEventDocument>(key: K, value: AuditEventDocument[K] | undefined) => {
    if (value !== undefined) record[key] = value;
  };
  assign('accountId', text(accountId));
  assign('client', text(client) ?? text(clientId));
  assign('sp', text(sp));
  assign('reason', text(reason));
  assign('actor', isActor(actor) ? actor : accountId ? { type: 'user', id: text(accountId) } : undefined);
  // null: the event must not keep the request's address or browser (the anonymous record of an erasure).
  assign('ip', ip === null ? undefined : text(ip) ?? request?.ip);
  assign('userAgent', userAgent === null ? undefined : text(userAgent) ?? request?.userAgent?.slice(0, 300));
  assign('requestId', request?.requestId);
  const data = cleanObject(rest, 0);
  if (Object.keys(data).length) record.data = data;
  return record;
}

function isActor(value: unknown): value is AuditActor {
  return typeof value === 'object' && value !== null && typeof (value as AuditActor).type === 'string';
}
