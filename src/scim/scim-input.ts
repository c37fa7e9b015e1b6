import { z } from 'zod';
import { scimError } from './scim-error.ts';
import { SCHEMA } from './scim-schemas.ts';
import type { ScimUserInput } from './scim-user.mapper.ts';

// Request bodies of the SCIM endpoints. Attribute names are case-insensitive (RFC 7643 §2.1), so keys are first
// brought to their canonical spelling; then zod checks the types. Some directories send booleans as "True".

const USER_KEYS = ['schemas', 'id', 'externalId', 'userName', 'name', 'displayName', 'nickName', 'locale', 'timezone', 'active',
  'password', 'emails', 'phoneNumbers', 'addresses', 'groups', 'meta', 'title', 'userType', 'preferredLanguage', 'profileUrl'];
const GROUP_KEYS = ['schemas', 'id', 'externalId', 'displayName', 'members', 'meta'];

export function canonicalKeys(body: unknown, known: string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw scimError(400, 'the body must be a JSON object', 'invalidSyntax');
  const byLower = new Map(known.map((key) => [key.toLowerCase(), key]));
  return Object.fromEntries(Object.entries(body).map(([key, value]) => [byLower.get(key.toLowerCase()) ?? key, value]));
}

const bool = z.preprocess((v) => (typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v), z.boolean());
const multi = z.array(z.object({ value: z.string().max(320).optional(), type: z.string().max(40).optional(), primary: bool.optional() }).passthrough()).max(20);

const userSchema = z.object({
  userName: z.string().trim().min(3).max(320),
  externalId: z.string().min(1).max(200).nullable().optional(),
  active: bool.optional(),
  password: z.string().min(1).max(1024).optional(),
  displayName: z.string().max(200).optional(),
  nickName: z.string().max(200).optional(),
  locale: z.string().max(40).optional(),
  timezone: z.string().max(60).optional(),
  name: z.object({ formatted: z.string().max(200).optional(), givenName: z.string().max(100).optional(), familyName: z.string().max(100).optional(), middleName: z.string().max(100).optional() }).passthrough().optional(),
  emails: multi.optional(),
  phoneNumbers: multi.optional(),
  addresses: z.array(z.record(z.string(), z.unknown())).max(10).optional(),
}).passthrough();

/** A SCIM User body as our input (userName required: POST and PUT carry the whole resource). */
export function parseUser(body: unknown): ScimUserInput {
  const canonical = canonicalKeys(body, USER_KEYS);
  const parsed = userSchema.safeParse(canonical);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw scimError(400, `${issue.path.join('.') || 'body'}: ${issue.message}`, 'invalidValue');
  }
  const extensionKey = Object.keys(canonical).find((key) => key.toLowerCase() === SCHEMA.enterprise.toLowerCase());
  const extension = extensionKey ? canonical[extensionKey] : undefined;
  if (extension !== undefined && (typeof extension !== 'object' || extension === null)) throw scimError(400, 'the enterprise extension must be an object', 'invalidValue');
  return { ...parsed.data, ...(extension ? { enterprise: extension as Record<string, unknown> } : {}) } as ScimUserInput;
}

const groupSchema = z.object({
  displayName: z.string().trim().min(1).max(200),
  externalId: z.string().min(1).max(200).nullable().optional(),
  members: z.array(z.object({ value: z.string().min(1).max(200) }).passthrough()).max(10_000).optional(),
}).passthrough();

export function parseGroup(body: unknown): z.infer<typeof groupSchema> {
  const parsed = groupSchema.safeParse(canonicalKeys(body, GROUP_KEYS));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw scimError(400, `${issue.path.join('.') || 'body'}: ${issue.message}`, 'invalidValue');
  }
  return parsed.data;
}

export const patchSchema = z.object({
  schemas: z.array(z.string()).refine((s) => s.includes(SCHEMA.patch), `schemas must include ${SCHEMA.patch}`),
  Operations: z.array(z.object({ op: z.string().regex(/^(add|replace|remove)$/i), path: z.string().max(500).optional(), value: z.unknown().optional() })).min(1).max(100),
});

export const listQuery = z.object({
  filter: z.string().max(2000).optional(),
  startIndex: z.coerce.number().int().optional().transform((n) => (n === undefined || n < 1 ? 1 : n)),
  count: z.coerce.number().int().optional().transform((n) => (n === undefined ? undefined : Math.max(n, 0))),
  sortBy: z.string().max(200).optional(),
  sortOrder: z.enum(['ascending', 'descending']).optional(),
  attributes: z.string().max(2000).optional(),
  excludedAttributes: z.string().max(2000).optional(),
});
