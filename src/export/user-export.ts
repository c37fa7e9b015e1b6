import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { mongo } from 'mongoose';
import type { AccountDocument } from '../accounts/account.model.ts';
import type { ConsentRecord } from '../consents/consent-record.model.ts';
import { AppError } from '../shared/app-error.ts';

// Batch export of customer profiles with their consent state, for ETL into CRM and marketing tools. Incremental:
// a run covers the accounts whose updatedAt lies in (since, until], and its watermark is `until`, the `since` of
// the next run, so no change is missed between runs and none repeated. `until` lags the clock by
// export.settleSeconds: a write whose updatedAt was taken just before the run but committed just after it still
// lands in the next run. Streamed from a cursor on the {updatedAt, _id} index, a page of accounts (and their
// consents) at a time: memory stays flat whatever the number of accounts.

export type ExportFormat = 'ndjson' | 'csv';

const PROFILE_FIELDS = ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'picture', 'website', 'gender',
  'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified', 'address.formatted', 'address.street_address',
  'address.locality', 'address.region', 'address.postal_code', 'address.country'];
const BASE_FIELDS = ['id', 'email', 'email_verified', 'status', 'external_id', 'created_at', 'updated_at'];
const PAGE = 500;

export interface ExportDeps {
  accounts: mongo.Collection<AccountDocument>;
  consents: mongo.Collection<ConsentRecord>;
  /** Ids of the legal documents (columns consent.<id>, consent.<id>.version, consent.<id>.at). */
  documentIds: () => Promise<string[]>;
  customKeys: string[];
  settleSeconds: number;
}

export interface ExportRequest { format: ExportFormat; since?: string; fields?: string[] }
export interface ExportRun { watermark: string; fields: string[]; contentType: string; stream: Readable; count: () => number }

export function parseWatermark(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(date.getTime())) throw new AppError('export.invalid_watermark', 400);
  return date;
}

type Row = Record<string, string | number | boolean | undefined>;

function flatten(account: AccountDocument, consents: ConsentRecord[]): Row {
  const row: Row = {
    id: account._id, email: account.email, email_verified: account.emailVerified, status: account.status, external_id: account.externalId,
    created_at: account.createdAt?.toISOString(), updated_at: account.updatedAt?.toISOString(),
  };
  const profile = account.profile ?? {};
  for (const field of PROFILE_FIELDS) {
    const [head, sub] = field.split('.') as [keyof typeof profile, string | undefined];
    const value = sub ? (profile[head] as Record<string, unknown> | undefined)?.[sub] : profile[head];
    if (value !== undefined && value !== null) row[field] = value as string;
  }
  for (const [key, value] of Object.entries(account.custom ?? {})) row[`custom.${key}`] = value;
  for (const record of consents) {
    row[`consent.${record.documentId}`] = record.decision;
    row[`consent.${record.documentId}.version`] = record.version;
    row[`consent.${record.documentId}.at`] = record.at.toISOString();
  }
  return row;
}

/** The latest decision per document of each account of a page (one query per page, on account_document_time). */
async function consentsOf(collection: mongo.Collection<ConsentRecord>, accountIds: string[]): Promise<Map<string, ConsentRecord[]>> {
  const latest = await collection.aggregate<{ _id: { accountId: string }; record: ConsentRecord }>([
    { $match: { accountId: { $in: accountIds } } },
    { $sort: { accountId: 1, documentId: 1, at: -1 } },
    { $group: { _id: { accountId: '$accountId', documentId: '$documentId' }, record: { $first: '$$ROOT' } } },
  ]).toArray();
  const byAccount = new Map<string, ConsentRecord[]>();
  for (const { record } of latest) byAccount.set(record.accountId, [...(byAccount.get(record.accountId) ?? []), record]);
  return byAccount;
}

async function* rows(deps: ExportDeps, since: Date | undefined, until: Date): AsyncGenerator<Row> {
  const cursor = deps.accounts.find(
    { updatedAt: { ...(since ? { $gt: since } : {}), $lte: until } },
    { projection: { passwordHash: 0, emailNormalized: 0, profiling: 0 }, sort: { updatedAt: 1, _id: 1 }, hint: 'updated', batchSize: PAGE },
  );
  try {
    let page: AccountDocument[] = [];
    const flush = async function* () {
      const consents = await consentsOf(deps.consents, page.map((a) => a._id));
      for (const account of page) yield flatten(account, consents.get(account._id) ?? []);
      page = [];
    };
    for await (const account of cursor) {
      page.push(account);
      if (page.length >= PAGE) yield* flush();
    }
    if (page.length > 0) yield* flush();
  } finally {
    await cursor.close();
  }
}

export async function exportUsers(deps: ExportDeps, request: ExportRequest): Promise<ExportRun> {
  const since = parseWatermark(request.since);
  const until = new Date(Date.now() - deps.settleSeconds * 1000);
  if (since && since > until) throw new AppError('export.watermark_in_future', 400);
  const consentFields = (await deps.documentIds()).flatMap((id) => [`consent.${id}`, `consent.${id}.version`, `consent.${id}.at`]);
  const all = [...BASE_FIELDS, ...PROFILE_FIELDS, ...deps.customKeys.map((key) => `custom.${key}`), ...consentFields];
  const fields = request.fields?.length ? request.fields : all;
  const unknown = fields.filter((field) => !all.includes(field));
  if (unknown.length > 0) throw new AppError('export.unknown_field', 400, { cause: unknown.join(',') });
  let count = 0;
  const source = Readable.from((async function* () {
    for await (const row of rows(deps, since, until)) {
      count += 1;
      yield row;
    }
  })(), { objectMode: true, highWaterMark: 64 });
  const pick = (row: Row) => Object.fromEntries(fields.filter((f) => row[f] !== undefined).map((f) => [f, row[f]]));
  const stream = request.format === 'csv'
    // RFC 4180: CRLF records, fields with commas, quotes or line breaks quoted, quotes doubled; a header line. A
    // UTF-8 BOM so that spreadsheet tools read Japanese text as UTF-8.
    ? source.pipe(stringify({ header: true, columns: fields, record_delimiter: 'windows', bom: true, cast: { boolean: (v) => String(v) } }))
    : source.pipe(new (await import('node:stream')).Transform({
      writableObjectMode: true,
      transform(row: Row, _encoding, done) { done(null, `${JSON.stringify(pick(row))}\n`); },
    }));
  source.on('error', (error) => stream.destroy(error));
  return {
    watermark: until.toISOString(), fields, stream, count: () => count,
    contentType: request.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
  };
}
