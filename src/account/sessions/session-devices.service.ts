import type { Context, Middleware, Next } from 'koa';
import Bowser from 'bowser';
import type { Logger } from '../../shared/logger.ts';
import type { Provider } from '../../oidc/provider.ts';
import { networkOf } from '../../mfa/risk/risk-signals.ts';
import type { SessionDeviceDocument, SessionDeviceModel } from './session-device.model.ts';

// Records which browser and network each engine session was signed in from and last used from. Written at every
// successful authorization through the session (the engine's `authorization.success` event, docs/events.md: a
// sign-in or a single sign-on to any site) and when the person uses the account pages. The write is awaited before
// the response leaves (trackingMiddleware), so a session listed right after its sign-in already names its browser.

export interface SessionDevicesDeps {
  model: SessionDeviceModel;
  /** ttl.session: a record lives as long as the longest session could. */
  sessionTtlSeconds: number;
  /** mfa.risk.geoHeader: the trusted proxy's country header, if any. */
  geoHeader?: string;
  /** A use of the account pages refreshes "last seen" at most this often (one write per interval, not per page). */
  touchIntervalSeconds: number;
  logger: Logger;
}

export interface DeviceView {
  /** "Firefox 128 · Windows 10", or undefined when the user agent says nothing we know. */
  label?: string;
  platform?: string;
  /** The network (IPv4 /24, IPv6 /48), coarse on purpose: enough to recognise home or office, no more. */
  network?: string;
  country?: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

const PENDING = Symbol('session-device-write');
const MAX_USER_AGENT = 512;

/** A readable name of a browser from its User-Agent header (bowser), e.g. "Chrome 126 · macOS". */
export function describeUserAgent(userAgent: string | undefined): { label?: string; platform?: string } {
  if (!userAgent) return {};
  const parsed = Bowser.parse(userAgent);
  const browser = [parsed.browser.name, parsed.browser.version?.split('.')[0]].filter(Boolean).join(' ');
  const os = [parsed.os.name, parsed.os.versionName ?? parsed.os.version].filter(Boolean).join(' ');
  const label = [browser, os].filter(Boolean).join(' · ');
  return { label: label || undefined, platform: parsed.platform.type };
}

export function createSessionDevices(deps: SessionDevicesDeps) {
  const { model } = deps;

  function facts(ctx: Context) {
    const country = deps.geoHeader ? ctx.get(deps.geoHeader).trim().toUpperCase().slice(0, 2) || undefined : undefined;
    return { userAgent: ctx.get('user-agent').slice(0, MAX_USER_AGENT) || undefined, ip: ctx.ip || undefined, ...(country ? { country } : {}) };
  }

  async function record(uid: string, accountId: string, ctx: Context, onlyIfOlderThan?: Date): Promise<void> {
    const now = new Date();
    const filter = onlyIfOlderThan ? { _id: uid, lastSeenAt: { $lt: onlyIfOlderThan } } : { _id: uid };
    try {
      await model.collection.updateOne(filter as never, {
        $set: { accountId, ...facts(ctx), lastSeenAt: now, expiresAt: new Date(now.getTime() + deps.sessionTtlSeconds * 1000) },
        $setOnInsert: { firstSeenAt: now },
      }, { upsert: !onlyIfOlderThan });
    } catch (error) {
      // Never fail a sign-in over this record.
      deps.logger.warn({ event: 'session_device.write_failed', err: (error as Error).message }, 'session_device.write_failed');
    }
  }

  function attach(provider: Provider): void {
    provider.on('authorization.success', (ctx) => {
      const session = ctx.oidc.session;
      if (!session?.accountId) return;
      (ctx.state as Record<symbol, unknown>)[PENDING] = record(session.uid as string, session.accountId as string, ctx as unknown as Context);
    });
  }

  return {
    /**
     * In front of the engine: listens to each engine instance's successful authorizations (the engine is rebuilt
     * after a key rotation, so the current one is checked per request), and makes the response to an authorization
     * wait for its device record.
     */
    trackingMiddleware(provider: () => Provider): Middleware {
      const attached = new WeakSet<Provider>();
      return async (ctx: Context, next: Next) => {
        const current = provider();
        if (!attached.has(current)) {
          attach(current);
          attached.add(current);
        }
        await next();
        const pending = (ctx.state as Record<symbol, Promise<void> | undefined>)[PENDING];
        if (pending) await pending;
      };
    },
    /** A use of the account pages by this session: "last seen" now (at most once per touchIntervalSeconds). */
    async touch(uid: string, accountId: string, ctx: Context): Promise<void> {
      const exists = await model.collection.countDocuments({ _id: uid } as never, { limit: 1 });
      if (!exists) return record(uid, accountId, ctx);
      return record(uid, accountId, ctx, new Date(Date.now() - deps.touchIntervalSeconds * 1000));
    },
    async byUid(accountId: string, uids: string[]): Promise<Map<string, DeviceView>> {
      const docs = await model.collection.find<SessionDeviceDocument>({ _id: { $in: uids }, accountId } as never).toArray();
      return new Map(docs.map((d) => [d._id, {
        ...describeUserAgent(d.userAgent), network: d.ip ? networkOf(d.ip) : undefined, country: d.country,
        firstSeenAt: d.firstSeenAt, lastSeenAt: d.lastSeenAt,
      }]));
    },
    async forget(uids: string[]): Promise<void> {
      if (uids.length) await model.collection.deleteMany({ _id: { $in: uids } } as never);
    },
    /** The person's records as stored (export, GDPR art. 15/20). */
    exportOf: (accountId: string) => model.collection.find({ accountId }, { projection: { accountId: 0 } }).limit(1000).toArray(),
    eraseOf: async (accountId: string) => { await model.collection.deleteMany({ accountId }); },
  };
}

export type SessionDevices = ReturnType<typeof createSessionDevices>;
