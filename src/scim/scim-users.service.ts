import type { AccountDocument, AccountModel } from '../accounts/account.model.ts';
import type { UserDirectory } from '../accounts/user-directory.service.ts';
import type { AuditActor } from '../audit/audit-event.model.ts';
import type { GroupService } from '../groups/group.service.ts';
import { scimError } from './scim-error.ts';
import { scimFilterQuery, sortField, userFields } from './scim-filter.ts';
import { listQuery } from './scim-input.ts';
import { applyPatch, type PatchOperation } from './scim-patch.ts';
import { MAX_RESULTS, SCHEMA } from './scim-schemas.ts';
import { attributesFromScim, etagOf, toScimUser, type EnterpriseMapping, type ScimUserInput } from './scim-user.mapper.ts';
import { parseUser } from './scim-input.ts';
import type { z } from 'zod';

// SCIM Users (RFC 7644 §3) over the user directory: the same create, change and delete as the admin API and CLI.
// Versions (ETags) guard every change when the client sends If-Match (RFC 7644 §3.14): a stale one is 412.

export interface ScimUsersDeps {
  base: string;
  accounts: AccountModel;
  users: UserDirectory;
  groups: GroupService;
  enterprise: EnterpriseMapping;
  emailsVerified: boolean;
}

type ListQuery = z.infer<typeof listQuery>;

export function createScimUsers(deps: ScimUsersDeps) {
  const fields = userFields(deps.enterprise);

  async function represent(account: AccountDocument) {
    const names = new Map((await deps.groups.list({ _id: { $in: account.groups ?? [] } }, { _id: 1 }, 0, 1000)).map((g) => [g._id, g.displayName]));
    return toScimUser(account, deps.base, deps.enterprise, names);
  }

  /** The account if `ifMatch` (when given) names its current version, claimed so that no concurrent change slips in. */
  async function current(id: string, ifMatch: string | undefined): Promise<AccountDocument> {
    const account = await deps.users.get(id).catch(() => { throw scimError(404, `no User ${id}`); });
    if (ifMatch === undefined) return account;
    const version = (await represent(account)).meta.version;
    const wanted = ifMatch.split(',').map((tag) => tag.trim());
    if (!wanted.includes('*') && !wanted.includes(version)) throw scimError(412, 'the User changed since that version (If-Match)');
    if (!(await deps.users.claimVersion(id, account.updatedAt))) throw scimError(412, 'the User changed since that version (If-Match)');
    return account;
  }

  async function store(id: string, input: ScimUserInput, actor: AuditActor, previous: AccountDocument): Promise<void> {
    if (input.userName && input.userName !== previous.email) await deps.users.setEmail(id, input.userName, deps.emailsVerified, actor);
    await deps.users.update(id, { attributes: attributesFromScim(input, deps.enterprise), externalId: input.externalId ?? null }, actor);
    const status = input.active === false ? 'blocked' : 'active';
    if (status !== previous.status) await deps.users.setStatus(id, status, actor);
    if (input.password) await deps.users.setPassword(id, input.password, actor);
  }

  return {
    async list(query: ListQuery) {
      const filter = scimFilterQuery(query.filter, fields);
      const count = Math.min(query.count ?? 100, MAX_RESULTS);
      const sort = { [sortField(query.sortBy, fields)]: query.sortOrder === 'descending' ? -1 as const : 1 as const, _id: 1 as const };
      const [docs, total] = await Promise.all([
        count === 0 ? [] : deps.accounts.find(filter).sort(sort).skip(query.startIndex - 1).limit(count).lean<AccountDocument[]>().exec(),
        deps.accounts.countDocuments(filter).exec(),
      ]);
      return { schemas: [SCHEMA.list], totalResults: total, startIndex: query.startIndex, itemsPerPage: docs.length, Resources: await Promise.all(docs.map(represent)) };
    },
    async get(id: string, ifNoneMatch?: string) {
      const resource = await represent(await deps.users.get(id).catch(() => { throw scimError(404, `no User ${id}`); }));
      return { resource, notModified: ifNoneMatch !== undefined && ifNoneMatch.split(',').map((t) => t.trim()).includes(resource.meta.version) };
    },
    async create(body: unknown, actor: AuditActor) {
      const input = parseUser(body);
      const created = await deps.users.create({
        email: input.userName!, password: input.password, verified: deps.emailsVerified,
        externalId: input.externalId ?? undefined, attributes: withoutEmpty(attributesFromScim(input, deps.enterprise)),
      }, actor);
      if (input.active === false) await deps.users.setStatus(created._id, 'blocked', actor);
      return represent(await deps.users.get(created._id));
    },
    async replace(id: string, body: unknown, ifMatch: string | undefined, actor: AuditActor) {
      const previous = await current(id, ifMatch);
      await store(id, parseUser(body), actor, previous);
      return represent(await deps.users.get(id));
    },
    async patch(id: string, operations: PatchOperation[], ifMatch: string | undefined, actor: AuditActor) {
      const previous = await current(id, ifMatch);
      const { meta: _meta, groups: _groups, ...resource } = await represent(previous);
      const patched = applyPatch(resource, operations);
      await store(id, parseUser(patched), actor, previous);
      return represent(await deps.users.get(id));
    },
    async remove(id: string, ifMatch: string | undefined, actor: AuditActor) {
      await current(id, ifMatch);
      await deps.users.remove(id, actor);
    },
    etagOf,
  };
}

const withoutEmpty = (values: Record<string, string | number | boolean>) =>
  Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ''));

export type ScimUsers = ReturnType<typeof createScimUsers>;
