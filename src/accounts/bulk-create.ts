import { randomUUID } from 'node:crypto';
import type { AuditActor } from '../audit/audit-event.model.ts';
import type { Models } from '../db/models.ts';
import { AppError } from '../shared/app-error.ts';
import type { Audit } from '../shared/audit.ts';
import type { AttributeSchema } from '../profile/attribute-schema.ts';
import { normalizeEmail } from './account.repository.ts';

// Many new accounts at once (bulk import): the same checks as one account through the user directory (attributes
// by the attribute schema, unique email and external id), but one existence query, one insertMany of accounts and
// one of linked identities per batch instead of several round trips per account. An account already there (same
// external id, or same email case-insensitively) is skipped, so a batch can be applied again.

export interface BulkUser {
  email: string;
  verified: boolean;
  externalId?: string;
  name?: string;
  attributes?: Record<string, unknown>;
  /** Already in its stored form (legacy-hashes.ts toStoredHash, or ours). */
  passwordHash?: string;
  identities?: Array<{ connector: string; subject: string; email?: string }>;
}

export type BulkOutcome = 'created' | 'skipped' | Error;

interface WriteError { index: number; code?: number; keyPattern?: Record<string, unknown>; errmsg?: string }

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}

const writeErrorsOf = (error: unknown): WriteError[] => {
  const e = error as { writeErrors?: WriteError[] | WriteError; code?: number };
  if (e.writeErrors) return Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
  throw error;
};

export function createBulkAccounts(deps: { models: Models; schema: AttributeSchema; audit: Audit }) {
  const { models, schema } = deps;

  /** The document of one account, or the AppError naming the field that is wrong. */
  function documentOf(user: BulkUser, now: Date): Record<string, unknown> {
    const profile: Record<string, unknown> = user.name ? { name: user.name } : {};
    const custom: Record<string, unknown> = {};
    const attributes = user.attributes ?? {};
    const keys = Object.keys(attributes);
    const unknown = keys.find((key) => !schema.get(key) || key === 'email');
    if (unknown) throw new AppError('profile.unknown_attribute', 400, { field: unknown });
    const { values, errors } = schema.validate(attributes, keys, []);
    const [field, code] = Object.entries(errors)[0] ?? [];
    if (field && code) throw new AppError(code, 400, { field });
    for (const [key, value] of Object.entries(values)) {
      if (schema.get(key)!.standard) setPath(profile, key, value);
      else custom[key] = value;
    }
    return {
      _id: randomUUID(), email: user.email.trim(), emailNormalized: normalizeEmail(user.email), emailVerified: user.verified,
      status: 'active', profile, ...(Object.keys(custom).length ? { custom } : {}),
      ...(user.externalId ? { externalId: user.externalId } : {}), ...(user.passwordHash ? { passwordHash: user.passwordHash } : {}),
      createdAt: now, updatedAt: now,
    };
  }

  async function existing(users: BulkUser[]): Promise<{ emails: Set<string>; externalIds: Set<string> }> {
    const emails = users.map((u) => normalizeEmail(u.email));
    const externalIds = users.map((u) => u.externalId).filter((id): id is string => Boolean(id));
    const found = await models.Account.collection.find(
      { $or: [{ emailNormalized: { $in: emails } }, ...(externalIds.length ? [{ externalId: { $in: externalIds } }] : [])] },
      { projection: { emailNormalized: 1, externalId: 1 } },
    ).toArray() as unknown as Array<{ emailNormalized: string; externalId?: string }>;
    return { emails: new Set(found.map((a) => a.emailNormalized)), externalIds: new Set(found.flatMap((a) => (a.externalId ? [a.externalId] : []))) };
  }

  return {
    /** Links upstream identities to one existing account; an Error per link that could not be stored. */
    async linkIdentities(accountId: string, identities: NonNullable<BulkUser['identities']>): Promise<Array<Error | undefined>> {
      const outcomes: Array<Error | undefined> = identities.map(() => undefined);
      const now = new Date();
      const docs = identities.map((link) => ({ _id: randomUUID(), connectorId: link.connector, subject: link.subject, accountId, ...(link.email ? { email: link.email } : {}), createdAt: now }));
      await models.Identity.collection.insertMany(docs as never[], { ordered: false }).catch((error) => {
        for (const e of writeErrorsOf(error)) outcomes[e.index] = e.code === 11000 ? new AppError('federation.already_linked', 409, { field: 'identities' }) : new Error(e.errmsg ?? 'insert failed');
      });
      return outcomes;
    },

    async createMany(users: BulkUser[], actor: AuditActor): Promise<BulkOutcome[]> {
      const outcomes: BulkOutcome[] = new Array(users.length);
      const known = await existing(users);
      const now = new Date();
      const pending: Array<{ index: number; doc: Record<string, unknown> }> = [];
      users.forEach((user, index) => {
        if ((user.externalId && known.externalIds.has(user.externalId)) || known.emails.has(normalizeEmail(user.email))) {
          outcomes[index] = 'skipped';
          return;
        }
        try {
          pending.push({ index, doc: documentOf(user, now) });
        } catch (error) {
          outcomes[index] = error as Error;
        }
      });
      if (!pending.length) return outcomes;

      const failed = new Set<number>();
      await models.Account.collection.insertMany(pending.map((p) => p.doc) as never[], { ordered: false }).catch((error) => {
        for (const e of writeErrorsOf(error)) {
          failed.add(e.index);
          const field = e.keyPattern && 'externalId' in e.keyPattern ? 'externalId' : 'email';
          outcomes[pending[e.index]!.index] = e.code === 11000
            ? new AppError(field === 'email' ? 'account.email_taken' : 'account.external_id_taken', 409, { field })
            : new Error(e.errmsg ?? 'insert failed');
        }
      });
      const created = pending.filter((_, i) => !failed.has(i));

      // Linked upstream identities; an account whose links cannot all be stored is taken back (all of a line or none).
      const links = created.flatMap(({ index, doc }) => (users[index]!.identities ?? []).map((link) => ({
        owner: index, accountId: doc._id as string,
        doc: { _id: randomUUID(), connectorId: link.connector, subject: link.subject, accountId: doc._id, ...(link.email ? { email: link.email } : {}), createdAt: now },
      })));
      const undone = new Set<number>();
      if (links.length) {
        await models.Identity.collection.insertMany(links.map((l) => l.doc) as never[], { ordered: false }).catch((error) => {
          for (const e of writeErrorsOf(error)) {
            const link = links[e.index]!;
            undone.add(link.owner);
            outcomes[link.owner] = e.code === 11000 ? new AppError('federation.already_linked', 409, { field: 'identities' }) : new Error(e.errmsg ?? 'insert failed');
          }
        });
        if (undone.size) {
          const ids = created.filter((c) => undone.has(c.index)).map((c) => c.doc._id as string);
          await models.Identity.collection.deleteMany({ accountId: { $in: ids } });
          await models.Account.collection.deleteMany({ _id: { $in: ids } } as never);
        }
      }
      for (const { index, doc } of created) {
        if (undone.has(index)) continue;
        outcomes[index] = 'created';
        deps.audit('user.created', { accountId: doc._id, actor, method: 'import' });
      }
      return outcomes;
    },
  };
}

export type BulkAccounts = ReturnType<typeof createBulkAccounts>;
