import type { Model, mongo } from 'mongoose';
import type { AuditActor } from '../../audit/audit-event.model.ts';
import type { Locale } from '../../i18n/i18n.ts';
import type { Audit } from '../../shared/audit.ts';
import type { AccountSessions } from '../../oidc/account-sessions.ts';
import { createEngineClients } from '../../oidc/engine-store.ts';
import { signOutOfClient } from '../../oidc/client-logout.ts';
import type { Provider } from '../../oidc/provider.ts';
import type { SamlParticipantDocument } from '../../saml/idp/saml.models.ts';

// Connected apps (/account/apps): the OIDC grants of the account, named by the client's client_name in the page's
// language (client_name#ja, RFC 7591 §2.2), and the SAML SPs it is signed in to now. Our own clients (the account
// pages, the console, the OIDC side of every SAML SP) are marked `internal` in the client store and never listed:
// they are part of this site, not apps the person connected. Disconnecting an app revokes its grant with every code
// and token issued under it (its refresh tokens introspect as inactive at once) and signs the account out of it with
// a back-channel logout token (client-logout.ts).

export interface AppItem {
  grantId: string;
  clientId: string;
  name: string;
  scopes: string[];
  /** Granted offline_access: the app keeps access with refresh tokens while nobody is signed in. */
  offline: boolean;
  grantedAt?: Date;
}

export interface SamlAppItem {
  entityId: string;
  /** Until when the SAML session at the SP lasts (single logout ends it with the sign-in session). */
  until: Date;
}

export interface SelfAppsDeps {
  db: mongo.Db;
  provider: () => Provider;
  sessions: AccountSessions;
  samlParticipants: Model<SamlParticipantDocument>;
  audit: Audit;
}

export function createSelfApps(deps: SelfAppsDeps) {
  const clients = createEngineClients(deps.db);

  /** The account's grants of clients that are not ours, with their clients' metadata. */
  async function external(accountId: string) {
    const grants = await deps.sessions.listGrants(accountId);
    const stored = await clients.byIds([...new Set(grants.map((g) => g.client))]);
    const byId = new Map(stored.map((c) => [c._id, c]));
    return grants.filter((g) => byId.get(g.client)?.internal !== true).map((grant) => ({ grant, client: byId.get(grant.client) }));
  }

  return {
    async list(accountId: string, locale: Locale): Promise<AppItem[]> {
      return (await external(accountId)).map(({ grant, client }) => {
        const metadata = client?.payload ?? {};
        const name = metadata[`client_name#${locale}`] ?? metadata.client_name ?? grant.client;
        const scopes = [...new Set([...(grant.scope?.split(' ') ?? []), ...Object.values(grant.resources ?? {}).flatMap((s) => s.split(' '))])].filter(Boolean);
        return { grantId: grant.id, clientId: grant.client, name: String(name), scopes, offline: scopes.includes('offline_access'), grantedAt: grant.createdAt };
      }).sort((a, b) => a.name.localeCompare(b.name));
    },

    async samlApps(accountId: string): Promise<SamlAppItem[]> {
      const live = await deps.samlParticipants.find({ accountId, expiresAt: { $gt: new Date() } }, { spEntityId: 1, expiresAt: 1 }).limit(200).lean().exec();
      const latest = new Map<string, Date>();
      for (const p of live) if (!latest.has(p.spEntityId) || latest.get(p.spEntityId)! < p.expiresAt) latest.set(p.spEntityId, p.expiresAt);
      return [...latest].map(([entityId, until]) => ({ entityId, until }));
    },

    /** Disconnects one app; false when the grant is not one of this account's external apps. */
    async revoke(accountId: string, grantId: string, actor: AuditActor = { type: 'user', id: accountId }): Promise<boolean> {
      const found = (await external(accountId)).find(({ grant }) => grant.id === grantId);
      if (!found) return false;
      const clientId = found.grant.client;
      const uids = (await deps.sessions.listSessions(accountId)).filter((s) => s.clients.includes(clientId)).map((s) => s.uid!).filter(Boolean);
      const backchannel = await signOutOfClient(deps.provider(), accountId, clientId, uids);
      const revoked = await deps.sessions.revokeGrant(accountId, grantId);
      deps.audit(actor.type === 'user' ? 'grant.revoked_by_user' : 'grant.revoked_by_admin', {
        accountId, actor, client: clientId, grantId,
        backchannelSent: backchannel.filter((b) => b.ok).length, backchannelFailed: backchannel.filter((b) => !b.ok).length,
      });
      return revoked;
    },
  };
}

export type SelfApps = ReturnType<typeof createSelfApps>;
