import { randomUUID } from 'node:crypto';
import { AppError } from '../shared/app-error.ts';
import type { AccountModel } from '../accounts/account.model.ts';
import { isDuplicateKey } from '../accounts/account.repository.ts';
import type { Audit } from '../shared/audit.ts';
import type { AuditActor } from '../audit/audit-event.model.ts';
import type { GroupDocument, GroupModel } from './group.model.ts';

// Groups and their members. Names are unique (case as given); membership is stored on the accounts.


export function createGroupService(deps: { groups: GroupModel; accounts: AccountModel; audit: Audit }) {
  const { groups, accounts, audit } = deps;

  async function get(id: string): Promise<GroupDocument> {
    const group = await groups.findById(id).lean<GroupDocument>().exec();
    if (!group) throw new AppError('group.not_found', 404);
    return group;
  }

  async function assertAccounts(accountIds: string[]): Promise<void> {
    const wanted = new Set(accountIds);
    if (!wanted.size) return;
    const known = await accounts.countDocuments({ _id: { $in: [...wanted] } }).exec();
    if (known !== wanted.size) throw new AppError('group.unknown_member', 400);
  }

  return {
    get,
    async create(input: { displayName: string; externalId?: string; members?: string[] }, actor: AuditActor): Promise<GroupDocument> {
      const id = randomUUID();
      // Members are checked first, so a refused request leaves no group behind.
      await assertAccounts(input.members ?? []);
      try {
        await groups.create({ _id: id, displayName: input.displayName, externalId: input.externalId });
      } catch (error) {
        if (isDuplicateKey(error)) throw new AppError('group.exists', 409);
        throw error;
      }
      if (input.members?.length) await this.setMembers(id, input.members, actor);
      audit('group.created', { group: id, actor });
      return get(id);
    },
    async update(id: string, changes: { displayName?: string; externalId?: string | null }, actor: AuditActor): Promise<GroupDocument> {
      const set: Record<string, unknown> = {};
      const unset: Record<string, 1> = {};
      if (changes.displayName !== undefined) set.displayName = changes.displayName;
      if (changes.externalId === null) unset.externalId = 1;
      else if (changes.externalId !== undefined) set.externalId = changes.externalId;
      try {
        const result = await groups.updateOne({ _id: id }, { $set: { ...set, updatedAt: new Date() }, ...(Object.keys(unset).length ? { $unset: unset } : {}) }).exec();
        if (result.matchedCount === 0) throw new AppError('group.not_found', 404);
      } catch (error) {
        if (isDuplicateKey(error)) throw new AppError('group.exists', 409);
        throw error;
      }
      audit('group.updated', { group: id, actor, changed: Object.keys({ ...set, ...unset }).filter((k) => k !== 'updatedAt') });
      return get(id);
    },
    async remove(id: string, actor: AuditActor): Promise<void> {
      const result = await groups.deleteOne({ _id: id }).exec();
      if (result.deletedCount === 0) throw new AppError('group.not_found', 404);
      await accounts.updateMany({ groups: id }, { $pull: { groups: id } }).exec();
      audit('group.deleted', { group: id, actor });
    },
    async members(id: string): Promise<Array<{ id: string; email: string }>> {
      const docs = await accounts.find({ groups: id }, { _id: 1, email: 1 }).limit(10_000).lean().exec();
      return docs.map((d) => ({ id: d._id, email: d.email }));
    },
    /** Replaces the member list; unknown account ids are refused before anything changes. */
    async setMembers(id: string, accountIds: string[], actor: AuditActor): Promise<void> {
      const wanted = [...new Set(accountIds)];
      await assertAccounts(wanted);
      await accounts.updateMany({ groups: id, _id: { $nin: wanted } }, { $pull: { groups: id }, $set: { updatedAt: new Date() } }).exec();
      await accounts.updateMany({ _id: { $in: wanted }, groups: { $ne: id } }, { $addToSet: { groups: id }, $set: { updatedAt: new Date() } }).exec();
      await groups.updateOne({ _id: id }, { $set: { updatedAt: new Date() } }).exec();
      audit('group.members_changed', { group: id, actor, members: wanted.length });
    },
    async addMembers(id: string, accountIds: string[], actor: AuditActor): Promise<void> {
      await assertAccounts(accountIds);
      await accounts.updateMany({ _id: { $in: accountIds } }, { $addToSet: { groups: id }, $set: { updatedAt: new Date() } }).exec();
      await groups.updateOne({ _id: id }, { $set: { updatedAt: new Date() } }).exec();
      audit('group.members_changed', { group: id, actor, added: accountIds.length });
    },
    async removeMembers(id: string, accountIds: string[], actor: AuditActor): Promise<void> {
      await accounts.updateMany({ _id: { $in: accountIds } }, { $pull: { groups: id }, $set: { updatedAt: new Date() } }).exec();
      await groups.updateOne({ _id: id }, { $set: { updatedAt: new Date() } }).exec();
      audit('group.members_changed', { group: id, actor, removed: accountIds.length });
    },
    /** Display names of groups, for the `groups` claim and SAML attribute. */
    async namesOf(ids: string[] | undefined): Promise<string[]> {
      if (!ids?.length) return [];
      const docs = await groups.find({ _id: { $in: ids } }, { displayName: 1 }).lean().exec();
      return docs.map((d) => d.displayName).sort();
    },
    list: (filter: Record<string, unknown>, sort: Record<string, 1 | -1>, skip: number, limit: number) =>
      groups.find(filter).sort(sort).skip(skip).limit(limit).lean<GroupDocument[]>().exec(),
    count: (filter: Record<string, unknown>) => groups.countDocuments(filter).exec(),
  };
}

export type GroupService = ReturnType<typeof createGroupService>;
