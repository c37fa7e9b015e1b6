import type { AccountDocument, AccountModel } from './account.model.ts';
import { escapeRegex } from '../db/regex.ts';
import { normalizeEmail } from './account.repository.ts';

// Finding accounts for the people who manage them: by email (exact, or a prefix ending in `*`), name prefix, one
// attribute's value, status, external id or group, in pages by account id with an opaque cursor and a total.
// Every filter has its own index (account.model.ts), so a page costs the same at any directory size.

export interface UserQuery {
  email?: string;
  name?: string;
  /** `key=value`: a standard profile claim or a custom attribute. */
  attribute?: string;
  status?: 'active' | 'blocked';
  externalId?: string;
  group?: string;
  limit?: number;
  cursor?: string;
}

export interface UserPage {
  items: AccountDocument[];
  total: number;
  nextCursor?: string;
}

export const MAX_USER_PAGE = 200;


/** The MongoDB filter of a query; `profileKeys` are the standard claims (everything else is a custom attribute). */
export function userFilter(query: UserQuery, profileKeys: ReadonlySet<string>): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (query.email) {
    filter.emailNormalized = query.email.endsWith('*')
      ? { $regex: `^${escapeRegex(normalizeEmail(query.email.slice(0, -1)))}` }
      : normalizeEmail(query.email);
  }
  if (query.name) filter['profile.name'] = { $regex: `^${escapeRegex(query.name)}` };
  if (query.attribute) {
    const at = query.attribute.indexOf('=');
    const key = query.attribute.slice(0, at);
    const value = query.attribute.slice(at + 1);
    const path = profileKeys.has(key) ? `profile.${key}` : `custom.${key}`;
    const typed: unknown[] = [value];
    if (value === 'true' || value === 'false') typed.push(value === 'true');
    if (value !== '' && Number.isFinite(Number(value))) typed.push(Number(value));
    filter[path] = typed.length === 1 ? value : { $in: typed };
  }
  if (query.status) filter.status = query.status;
  if (query.externalId) filter.externalId = query.externalId;
  if (query.group) filter.groups = query.group;
  return filter;
}

export async function searchUsers(model: AccountModel, query: UserQuery, profileKeys: ReadonlySet<string>): Promise<UserPage> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), MAX_USER_PAGE);
  const filter = userFilter(query, profileKeys);
  const pageFilter = query.cursor ? { ...filter, _id: { $gt: query.cursor } } : filter;
  const [docs, total] = await Promise.all([
    model.collection.find(pageFilter).sort({ _id: 1 }).limit(limit + 1).toArray() as unknown as Promise<AccountDocument[]>,
    Object.keys(filter).length ? model.countDocuments(filter).exec() : model.estimatedDocumentCount().exec(),
  ]);
  const items = docs.slice(0, limit);
  return docs.length > limit ? { items, total, nextCursor: items.at(-1)!._id } : { items, total };
}
