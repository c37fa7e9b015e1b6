import { parse, type Filter } from 'scim2-parse-filter';
import { escapeRegex } from '../db/regex.ts';
import { normalizeEmail } from '../accounts/account.repository.ts';
import { scimError } from './scim-error.ts';
import { SCHEMA } from './scim-schemas.ts';

// SCIM filters (RFC 7644 §3.4.2.2), parsed by scim2-parse-filter, turned into MongoDB queries over our documents.
// Attribute names are case-insensitive; string comparisons follow each attribute's caseExact (RFC 7643 §2.2):
// userName and emails are compared on the normalised address, externalId exactly, names without case.

type Query = Record<string, unknown>;
const MATCH_NONE: Query = { _id: { $exists: false } };

interface Field {
  path: string;
  kind: 'email' | 'exact' | 'text' | 'date' | 'active' | 'array';
}


export function userFields(enterprise: Record<string, string>): Record<string, Field> {
  const fields: Record<string, Field> = {
    id: { path: '_id', kind: 'exact' },
    username: { path: 'emailNormalized', kind: 'email' },
    'emails.value': { path: 'emailNormalized', kind: 'email' },
    emails: { path: 'emailNormalized', kind: 'email' },
    externalid: { path: 'externalId', kind: 'exact' },
    'meta.lastmodified': { path: 'updatedAt', kind: 'date' },
    'meta.created': { path: 'createdAt', kind: 'date' },
    active: { path: 'status', kind: 'active' },
    displayname: { path: 'profile.name', kind: 'text' },
    'name.formatted': { path: 'profile.name', kind: 'text' },
    'name.givenname': { path: 'profile.given_name', kind: 'text' },
    'name.familyname': { path: 'profile.family_name', kind: 'text' },
    nickname: { path: 'profile.nickname', kind: 'text' },
    'phonenumbers.value': { path: 'profile.phone_number', kind: 'exact' },
    'groups.value': { path: 'groups', kind: 'array' },
    groups: { path: 'groups', kind: 'array' },
  };
  for (const [scimName, key] of Object.entries(enterprise)) {
    fields[`${SCHEMA.enterprise}:${scimName}`.toLowerCase()] = { path: `custom.${key}`, kind: 'text' };
  }
  return fields;
}

export const groupFields: Record<string, Field> = {
  id: { path: '_id', kind: 'exact' },
  displayname: { path: 'displayName', kind: 'text' },
  externalid: { path: 'externalId', kind: 'exact' },
  'meta.lastmodified': { path: 'updatedAt', kind: 'date' },
  'meta.created': { path: 'createdAt', kind: 'date' },
};

/** `urn:...:core:2.0:User:userName` and `userName` are the same attribute. */
function attributeKey(path: string): string {
  const lower = path.toLowerCase();
  for (const core of [SCHEMA.user, SCHEMA.group]) if (lower.startsWith(`${core.toLowerCase()}:`)) return lower.slice(core.length + 1);
  return lower;
}

function value(field: Field, raw: unknown, attribute: string): unknown {
  if (field.kind === 'date') {
    const date = new Date(String(raw));
    if (typeof raw !== 'string' || Number.isNaN(date.getTime())) throw scimError(400, `${attribute} needs a date-time`, 'invalidFilter');
    return date;
  }
  if (field.kind === 'active') {
    if (typeof raw !== 'boolean') throw scimError(400, 'active needs true or false', 'invalidFilter');
    return raw ? 'active' : 'blocked';
  }
  if (typeof raw !== 'string') throw scimError(400, `${attribute} needs a string`, 'invalidFilter');
  return field.kind === 'email' ? normalizeEmail(raw) : raw;
}

function compare(field: Field, op: string, raw: unknown, attribute: string): Query {
  if (op === 'pr') return { [field.path]: { $exists: true, $nin: [null, ''] } };
  const v = value(field, raw, attribute);
  const insensitive = field.kind === 'text';
  const pattern = (body: string) => ({ $regex: body, ...(insensitive ? { $options: 'i' } : {}) });
  switch (op) {
    case 'eq': return { [field.path]: insensitive ? pattern(`^${escapeRegex(String(v))}$`) : v };
    case 'ne': return { [field.path]: insensitive ? { $not: new RegExp(`^${escapeRegex(String(v))}$`, 'i') } : { $ne: v } };
    case 'co': return { [field.path]: pattern(escapeRegex(String(v))) };
    case 'sw': return { [field.path]: pattern(`^${escapeRegex(String(v))}`) };
    case 'ew': return { [field.path]: pattern(`${escapeRegex(String(v))}$`) };
    case 'gt': case 'ge': case 'lt': case 'le':
      if (field.kind !== 'date' && field.kind !== 'exact' && field.kind !== 'text') throw scimError(400, `${attribute} cannot be ordered`, 'invalidFilter');
      return { [field.path]: { [`$${op.replace('ge', 'gte').replace('le', 'lte')}`]: v } };
    default: throw scimError(400, `unsupported operator ${op}`, 'invalidFilter');
  }
}

function translate(filter: Filter, fields: Record<string, Field>, prefix = ''): Query {
  switch (filter.op) {
    case 'and': return { $and: filter.filters.map((f) => translate(f, fields, prefix)) };
    case 'or': return { $or: filter.filters.map((f) => translate(f, fields, prefix)) };
    case 'not': return { $nor: [translate(filter.filter, fields, prefix)] };
    case '[]': return translate(filter.valFilter, fields, `${attributeKey(filter.attrPath)}.`);
    default: {
      const attribute = `${prefix}${attributeKey(filter.attrPath)}`;
      // Our one email is of type work and primary (scim-user.mapper.ts): decide those sub-filters here.
      if (attribute === 'emails.type') return filter.op === 'eq' && String((filter as { compValue?: unknown }).compValue).toLowerCase() === 'work' ? {} : MATCH_NONE;
      if (attribute === 'emails.primary') return filter.op === 'eq' && (filter as { compValue?: unknown }).compValue === true ? {} : MATCH_NONE;
      const field = fields[attribute];
      if (!field) throw scimError(400, `filtering on ${filter.attrPath} is not supported`, 'invalidFilter');
      return compare(field, filter.op, (filter as { compValue?: unknown }).compValue, filter.attrPath);
    }
  }
}

/** The MongoDB query of a SCIM filter expression; a syntax error or an unknown attribute is 400 invalidFilter. */
export function scimFilterQuery(expression: string | undefined, fields: Record<string, Field>): Query {
  if (!expression) return {};
  let ast: Filter;
  try {
    ast = parse(expression);
  } catch (error) {
    throw scimError(400, `invalid filter: ${(error as Error).message}`, 'invalidFilter');
  }
  return translate(ast, fields);
}

/** The stored field a `sortBy` names (RFC 7644 §3.4.2.3); unknown attributes sort by id. */
export function sortField(sortBy: string | undefined, fields: Record<string, Field>): string {
  if (!sortBy) return '_id';
  return fields[attributeKey(sortBy)]?.path ?? '_id';
}
