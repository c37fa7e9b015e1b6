import type { AuditActor } from '../../audit/audit-event.model.ts';
import type { Audit } from '../../shared/audit.ts';
import type { AccountSessions } from '../../oidc/account-sessions.ts';
import { endSessionByUid } from '../../oidc/end-session.ts';
import type { Provider } from '../../oidc/provider.ts';
import type { SessionDevices } from '../sessions/session-devices.service.ts';

// The person's own sign-in sessions (/account/sessions): each engine session with the browser and network it was
// used from, "this browser" marked; ending one is the engine's logout of that session (endSessionByUid: back-channel
// logout to the sites signed in through it, its grants revoked unless they outlive logout, the session destroyed), so
// that browser is signed out at its next request.

export interface SessionItem {
  uid: string;
  current: boolean;
  label?: string;
  platform?: string;
  network?: string;
  country?: string;
  signedInAt?: Date;
  lastSeenAt?: Date;
  /** How many sites (other than our own pages) this session has signed in to. */
  sites: number;
}

export interface SelfSessionsDeps {
  provider: () => Provider;
  sessions: AccountSessions;
  devices: SessionDevices;
  /** Which of these client ids are our own (account pages, console, SAML bridge): not counted as sites. */
  internalClients(clientIds: string[]): Promise<Set<string>>;
  audit: Audit;
}

export function createSelfSessions(deps: SelfSessionsDeps) {
  const { sessions, devices, audit } = deps;

  async function uidsOf(accountId: string): Promise<string[]> {
    return (await sessions.listSessions(accountId)).map((s) => s.uid).filter((uid): uid is string => Boolean(uid));
  }

  async function end(accountId: string, uid: string): Promise<boolean> {
    if (!(await uidsOf(accountId)).includes(uid)) return false;
    const { ended, backchannel } = await endSessionByUid(deps.provider(), uid);
    await devices.forget([uid]);
    const failed = backchannel.filter((b) => !b.ok);
    if (failed.length) audit('backchannel.failed', { accountId, clients: failed.map((b) => b.clientId) });
    return ended;
  }

  async function endOthers(accountId: string, keepUid: string | undefined, reason: string, actor: AuditActor = { type: 'user', id: accountId }): Promise<number> {
    let count = 0;
    for (const uid of (await uidsOf(accountId)).filter((u) => u !== keepUid)) if (await end(accountId, uid)) count += 1;
    audit(actor.type === 'user' ? 'session.ended_by_user' : 'session.ended_by_admin', { accountId, actor, ended: count, kept: keepUid ? 1 : 0, reason });
    return count;
  }

  return {
    async list(accountId: string, currentUid: string | undefined): Promise<SessionItem[]> {
      const found = (await sessions.listSessions(accountId)).filter((s) => s.uid);
      const known = await devices.byUid(accountId, found.map((s) => s.uid!));
      const internal = await deps.internalClients([...new Set(found.flatMap((s) => s.clients))]);
      const items = found.map((s): SessionItem => {
        const device = known.get(s.uid!);
        return {
          uid: s.uid!, current: s.uid === currentUid, label: device?.label, platform: device?.platform, network: device?.network,
          country: device?.country, signedInAt: s.loginAt, lastSeenAt: device?.lastSeenAt, sites: s.clients.filter((c) => !internal.has(c)).length,
        };
      });
      // This browser first, then the most recently used.
      return items.sort((a, b) => Number(b.current) - Number(a.current) || (b.lastSeenAt?.getTime() ?? 0) - (a.lastSeenAt?.getTime() ?? 0));
    },

    /** Ends one session of the account (false when it is not one of its sessions); `actor`: an operator, else the person. */
    async endOne(accountId: string, uid: string, actor: AuditActor = { type: 'user', id: accountId }): Promise<boolean> {
      const ended = await end(accountId, uid);
      if (ended) audit(actor.type === 'user' ? 'session.ended_by_user' : 'session.ended_by_admin', { accountId, actor, ended: 1 });
      return ended;
    },

    /** Ends every session of the account but `keepUid` (this browser); returns how many ended. */
    endOthers: (accountId: string, keepUid: string | undefined, actor?: AuditActor): Promise<number> =>
      endOthers(accountId, keepUid, actor && actor.type !== 'user' ? 'operator' : 'sessions_page', actor),

    /**
     * After a password change: every other session ends, and every grant this browser's session does not hold is
     * revoked with its tokens (apps signed in elsewhere, refresh tokens included), so nobody holding the old password
     * stays in. Returns what ended.
     */
    async signOutElsewhere(accountId: string, keepUid: string | undefined): Promise<{ sessions: number; grants: number }> {
      const ended = await endOthers(accountId, keepUid, 'password_changed');
      const kept = keepUid ? await deps.provider().Session.findByUid(keepUid) : undefined;
      const keep = new Set(Object.values((kept?.authorizations ?? {}) as Record<string, { grantId?: string }>).map((a) => a.grantId));
      let grants = 0;
      for (const grant of await sessions.listGrants(accountId)) {
        if (!keep.has(grant.id) && await sessions.revokeGrant(accountId, grant.id)) grants += 1;
      }
      return { sessions: ended, grants };
    },
  };
}

export type SelfSessions = ReturnType<typeof createSelfSessions>;
