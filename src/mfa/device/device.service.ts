import { createHash, randomBytes } from 'node:crypto';
import type { Audit } from '../../shared/audit.ts';
import type { DeviceDocument, DeviceModel } from './device.model.ts';

// The device cookie: a random 256-bit id, httpOnly, first-party, long-lived. It is bound to an account only in the
// database (one browser may serve several accounts), and a remembered device can be forgotten from the account page.

export interface CookieAccess {
  get(name: string): string | undefined;
  set(name: string, value: string, maxAgeMs: number): void;
}

const ID = /^[A-Za-z0-9_-]{43}$/;
const hash = (deviceId: string) => createHash('sha256').update(deviceId).digest('base64url');
const DAY = 24 * 3600 * 1000;

export function createDeviceService(deps: { model: DeviceModel; cookieName: string; cookieDays: number; audit: Audit }) {
  const { model } = deps;
  const key = (deviceId: string, accountId: string) => `${hash(deviceId)}:${accountId}`;

  return {
    /** The browser's device id, if it sent a well-formed one. */
    read(cookies: CookieAccess): string | undefined {
      const value = cookies.get(deps.cookieName);
      return value && ID.test(value) ? value : undefined;
    },
    /** The device id, issuing a new cookie when there is none. */
    ensure(cookies: CookieAccess): string {
      const existing = this.read(cookies);
      if (existing) return existing;
      const created = randomBytes(32).toString('base64url');
      cookies.set(deps.cookieName, created, deps.cookieDays * DAY);
      return created;
    },
    // find and bind run at every sign-in: the driver's calls, without a mongoose query's casting and captured stack.
    async find(deviceId: string, accountId: string): Promise<DeviceDocument | null> {
      return model.collection.findOne<DeviceDocument>({ _id: key(deviceId, accountId) as never });
    },
    async bind(deviceId: string, accountId: string, userAgent?: string): Promise<void> {
      const now = new Date();
      // As mongoose would: an absent user agent is left out of $set (the driver would store null).
      const seen = userAgent === undefined ? { lastSeen: now } : { lastSeen: now, userAgent: userAgent.slice(0, 200) };
      await model.collection.updateOne(
        { _id: key(deviceId, accountId) as never },
        { $set: seen, $setOnInsert: { deviceHash: hash(deviceId), accountId, firstSeen: now } },
        { upsert: true },
      );
    },
    async remember(deviceId: string, accountId: string, days: number, userAgent?: string): Promise<void> {
      await this.bind(deviceId, accountId, userAgent);
      await model.updateOne({ _id: key(deviceId, accountId) }, { $set: { rememberedUntil: new Date(Date.now() + days * DAY) } }).exec();
      deps.audit('mfa.device.remembered', { accountId, days });
    },
    async isRemembered(deviceId: string | undefined, accountId: string): Promise<boolean> {
      if (!deviceId) return false;
      const device = await this.find(deviceId, accountId);
      return Boolean(device?.rememberedUntil && device.rememberedUntil > new Date());
    },
    async listRemembered(accountId: string): Promise<DeviceDocument[]> {
      return model.find({ accountId, rememberedUntil: { $gt: new Date() } }).sort({ lastSeen: -1 }).lean<DeviceDocument[]>().exec();
    },
    /** Revokes "remember this device": the next sign-in from that browser asks for the second factor again. */
    async forget(accountId: string, id: string): Promise<void> {
      await model.updateOne({ _id: id, accountId }, { $unset: { rememberedUntil: 1 } }).exec();
      deps.audit('mfa.device.forgotten', { accountId });
    },
  };
}

export type DeviceService = ReturnType<typeof createDeviceService>;
