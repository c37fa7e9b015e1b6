import type { AccountModel } from '../accounts/account.model.ts';
import type { AuditActor } from '../audit/audit-event.model.ts';
import type { GroupDocument } from '../groups/group.model.ts';
import type { GroupService } from '../groups/group.service.ts';
import { scimError } from './scim-error.ts';
import { groupFields, scimFilterQuery, sortField } from './scim-filter.ts';
import { parseGroup, type listQuery } from './scim-input.ts';
import { applyPatch, type PatchOperation } from './scim-patch.ts';
import { MAX_RESULTS, SCHEMA } from './scim-schemas.ts';
import { etagOf } from './scim-user.mapper.ts';
import type { z } from 'zod';

// SCIM Groups (RFC 7643 §4.2): a name, an optional external id, and members (account ids).

export function createScimGroups(deps: { base: string; groups: GroupService; accounts: AccountModel }) {
  async function represent(group: GroupDocument) {
    const members = await deps.groups.members(group._id);
    const resource = {
      schemas: [SCHEMA.group],
      id: group._id,
      ...(group.externalId ? { externalId: group.externalId } : {}),
      displayName: group.displayName,
      members: members.map((m) => ({ value: m.id, display: m.email, $ref: `${deps.base}/Users/${m.id}` })),
    };
    return { ...resource, meta: { resourceType: 'Group', created: group.createdAt, lastModified: group.updatedAt, location: `${deps.base}/Groups/${group._id}`, version: etagOf(resource) } };
  }

  async function current(id: string, ifMatch: string | undefined): Promise<GroupDocument> {
    const group = await deps.groups.get(id).catch(() => { throw scimError(404, `no Group ${id}`); });
    if (ifMatch !== undefined) {
      const version = (await represent(group)).meta.version;
      const wanted = ifMatch.split(',').map((tag) => tag.trim());
      if (!wanted.includes('*') && !wanted.includes(version)) throw scimError(412, 'the Group changed since that version (If-Match)');
    }
    return group;
  }

  async function store(id: string, body: unknown, actor: AuditActor) {
    const input = parseGroup(body);
    await deps.groups.update(id, { displayName: input.displayName, externalId: input.externalId ?? null }, actor);
    await deps.groups.setMembers(id, (input.members ?? []).map((m) => m.value), actor);
  }

  return {
    async list(query: z.infer<typeof listQuery>) {
      const filter = scimFilterQuery(query.filter, groupFields);
      const count = Math.min(query.count ?? 100, MAX_RESULTS);
      const sort = { [sortField(query.sortBy, groupFields)]: query.sortOrder === 'descending' ? -1 as const : 1 as const, _id: 1 as const };
      const [docs, total] = await Promise.all([
        count === 0 ? [] : deps.groups.list(filter, sort, query.startIndex - 1, count),
        deps.groups.count(filter),
      ]);
      // excludedAttributes=members (RFC 7644 §3.4.2.5) is how directories list large groups cheaply.
      const withMembers = !/(^|,)\s*members\s*(,|$)/i.test(query.excludedAttributes ?? '');
      const Resources = await Promise.all(docs.map(async (group) => {
        const resource = await represent(group);
        if (withMembers) return resource;
        const { members: _members, ...rest } = resource;
        return rest;
      }));
      return { schemas: [SCHEMA.list], totalResults: total, startIndex: query.startIndex, itemsPerPage: docs.length, Resources };
    },
    get: async (id: string) => represent(await current(id, undefined)),
    async create(body: unknown, actor: AuditActor) {
      const input = parseGroup(body);
      const group = await deps.groups.create({ displayName: input.displayName, externalId: input.externalId ?? undefined, members: (input.members ?? []).map((m) => m.value) }, actor);
      return represent(group);
    },
    async replace(id: string, body: unknown, ifMatch: string | undefined, actor: AuditActor) {
      await current(id, ifMatch);
      await store(id, body, actor);
      return represent(await deps.groups.get(id));
    },
    async patch(id: string, operations: PatchOperation[], ifMatch: string | undefined, actor: AuditActor) {
      const group = await current(id, ifMatch);
      const { meta: _meta, ...resource } = await represent(group);
      await store(id, applyPatch(resource, operations), actor);
      return represent(await deps.groups.get(id));
    },
    async remove(id: string, ifMatch: string | undefined, actor: AuditActor) {
      await current(id, ifMatch);
      await deps.groups.remove(id, actor);
    },
  };
}

export type ScimGroups = ReturnType<typeof createScimGroups>;
