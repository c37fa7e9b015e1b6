import type { DocumentCache, DerivedCache } from '../db/change-cache.ts';
import { evictOnWrite } from '../db/write-hook.ts';
import type { AccountDocument } from './account.model.ts';

// Accounts are read several times per sign-in (the email at the password step, the engine's findAccount at the
// resume and at the token exchange) and on every userinfo and refresh. The account cache keeps them in the process
// through the change caches (db/change-cache.ts): a change made by another instance or the CLI evicts within
// milliseconds through the change stream, and a write made in this process evicts at once, before and after it is
// sent. Writes come from many places (repository, directory, SCIM, claims, import, erasure), so the eviction is
// hooked on the one collection handle they all go through (the model's collection: mongoose queries, document saves
// and direct driver calls alike), not at each call site.

/** Updated by a sign-in and by nothing that a derived value (the email pointer) or a security decision depends on. */
export const ACCOUNT_BOOKKEEPING_FIELDS = ['profiling.signIns', 'lastLoginAt'];

const isSignInCount = (update: unknown): boolean => {
  const inc = (update as { $inc?: Record<string, unknown> } | undefined)?.$inc;
  return Object.keys(update ?? {}).length === 1 && inc !== undefined && Object.keys(inc).length === 1 && inc['profiling.signIns'] === 1;
};

export interface AccountCache {
  /** The account, from the cache or through `read` (then kept when nothing changed meanwhile). */
  byId(id: string, read: () => Promise<AccountDocument | null>): Promise<AccountDocument | null>;
  /** The same by normalised email: the cached account is used only when it still has that email. */
  byEmail(emailNormalized: string, read: () => Promise<AccountDocument | null>): Promise<AccountDocument | null>;
}

/**
 * `documents`: the accounts collection's document cache; `emails`: a derived cache of normalised email -> id. An
 * email entry is only a pointer: an address that moved to another account can never answer with the old one.
 * Callers get copies: the cached document stays as stored, whatever they do with theirs.
 */
export function createAccountCache(collection: unknown, documents: DocumentCache<AccountDocument>, emails: DerivedCache<string>): AccountCache {
  evictOnWrite(collection, ({ kind, filter, update, phase }) => {
    // An insert names no cached account (a new id; an email entry is checked against the account it names).
    if (kind === 'insert') return;
    const id = filter?._id;
    // The sign-in count (profile.repository.ts countSignIn), on every sign-in: applied to the cached copy once
    // written, rather than evicting the account that the token exchange is about to read again.
    if (typeof id === 'string' && isSignInCount(update) && phase !== 'failed') {
      documents.patch(id, (account) => {
        if (phase === 'done') account.profiling = { ...account.profiling, signIns: (account.profiling?.signIns ?? 0) + 1 };
      });
      return;
    }
    if (typeof id === 'string') {
      documents.evict(id);
      return;
    }
    // A write not aimed at one id (a filter on other fields, a bulk write) may touch any account.
    documents.clear();
    emails.clear();
  });
  const copy = (account: AccountDocument | null) => account && structuredClone(account);

  return {
    async byId(id, read) {
      const cached = documents.get(id);
      if (cached) return copy(cached);
      const account = await read();
      if (account) documents.set(id, copy(account)!);
      return account;
    },
    async byEmail(emailNormalized, read) {
      const id = emails.get(emailNormalized);
      const cached = id === undefined ? undefined : documents.get(id);
      if (cached?.emailNormalized === emailNormalized) return copy(cached);
      const since = documents.mark();
      const account = await read();
      if (account) {
        documents.set(account._id, copy(account)!, since);
        emails.set(emailNormalized, account._id, since);
      }
      return account;
    },
  };
}
