import type { Config } from '../../config/config.schema.ts';
import type { Audit } from '../../shared/audit.ts';
import type { DeviceDocument } from '../device/device.model.ts';
import type { DeviceService } from '../device/device.service.ts';
import type { MfaFacts, RiskAssessor } from '../mfa-policy.service.ts';
import type { RiskDecisionModel, RiskProfileDocument, RiskProfileModel } from './risk.model.ts';
import { computeSignals, networkOf, parseCoordinates, scoreOf } from './risk-signals.ts';

// The adaptive check: at each sign-in, signals -> weighted score -> MFA when it reaches the
// threshold, even where the client made MFA optional. The decision and its signals are an audit event. A remembered
// device (device.service.ts) skips the question. Failed attempts are counted from the audit stream (login.failed,
// mfa.challenge.failed), so the account service does not need to know about risk.

export interface RiskServiceDeps {
  config: Config;
  profiles: RiskProfileModel;
  decisions: RiskDecisionModel;
  devices: DeviceService;
  audit: Audit;
}

const MAX_REMEMBERED = 50;

export function createRiskService(deps: RiskServiceDeps) {
  const risk = deps.config.mfa.risk;
  const pending = new Set<Promise<unknown>>();
  const deviceIds = new WeakMap<MfaFacts, string>();
  const deviceOf = (facts: MfaFacts) => {
    const id = deviceIds.get(facts) ?? deps.devices.ensure(facts.request.cookie);
    deviceIds.set(facts, id);
    return id;
  };
  // The device's record for this account, read once per check: isRemembered() and the assessment both need it, and
  // a device id issued in this very request has none (a browser without the cookie), so nothing is read for it.
  const deviceRecords = new WeakMap<MfaFacts, Promise<DeviceDocument | null>>();
  const deviceRecordOf = (facts: MfaFacts, deviceId: string | undefined) => {
    let record = deviceRecords.get(facts);
    if (!record) {
      record = deviceId && deviceId === deps.devices.read(facts.request.cookie) ? deps.devices.find(deviceId, facts.accountId) : Promise.resolve(null);
      deviceRecords.set(facts, record);
    }
    return record;
  };
  const rememberedNow = (device: DeviceDocument | null) => Boolean(device?.rememberedUntil && device.rememberedUntil > new Date());
  const geoOf = (facts: MfaFacts) => ({
    country: risk.geoHeader ? facts.request.header(risk.geoHeader)?.trim().toUpperCase().slice(0, 2) || undefined : undefined,
    coordinates: risk.geoCoordinatesHeader ? parseCoordinates(facts.request.header(risk.geoCoordinatesHeader)) : undefined,
  });

  async function assess(facts: MfaFacts): Promise<boolean> {
    await Promise.allSettled([...pending]);
    const deviceId = deviceOf(facts);
    const [profile, device] = await Promise.all([
      deps.profiles.collection.findOne<RiskProfileDocument>({ _id: facts.accountId as never }), deviceRecordOf(facts, deviceId),
    ]);
    const geo = geoOf(facts);
    const signals = computeSignals({ now: new Date(), ip: facts.request.ip, knownDevice: Boolean(device), ...geo, profile }, risk);
    const score = scoreOf(signals, risk);
    const remembered = rememberedNow(device);
    const mfa = score >= risk.threshold && !remembered;
    // Only a decision that asks for MFA is kept: an absent one reads as "no MFA" (requiresMfa), and one left from an
    // earlier sign-in of the same session names that sign-in's loginTs, so it cannot apply to this one.
    if (mfa) {
      await deps.decisions.replaceOne({ _id: facts.session.uid }, {
        accountId: facts.accountId, loginTs: facts.session.loginTs, mfa,
        expiresAt: new Date(Date.now() + deps.config.ttl.session * 1000),
      }, { upsert: true }).exec();
    }
    deps.audit('mfa.risk.evaluated', {
      accountId: facts.accountId, client: facts.clientId, score, threshold: risk.threshold, signals, remembered, mfa,
      network: networkOf(facts.request.ip), country: geo.country,
    });
    return mfa;
  }

  const service: RiskAssessor & { noteFailure(accountId: string): void } = {
    async requiresMfa(facts) {
      if (facts.freshLogin) return assess(facts);
      // A later request on the same session: the decision taken at its sign-in still holds until MFA is done.
      const decision = await deps.decisions.findById(facts.session.uid).lean().exec();
      return Boolean(decision?.mfa && decision.accountId === facts.accountId && decision.loginTs === facts.session.loginTs);
    },
    async isRemembered(facts) {
      return rememberedNow(await deviceRecordOf(facts, deps.devices.read(facts.request.cookie)));
    },
    async recordSignIn(facts) {
      const deviceId = deviceOf(facts);
      const { country, coordinates } = geoOf(facts);
      // The driver's update (a pipeline: mongoose would not cast it anyway), once per sign-in.
      await deps.profiles.collection.updateOne({ _id: facts.accountId as never }, [{
        $set: {
          networks: { $slice: [{ $setUnion: [{ $ifNull: ['$networks', []] }, [networkOf(facts.request.ip)]] }, -MAX_REMEMBERED] },
          countries: country ? { $setUnion: [{ $ifNull: ['$countries', []] }, [country]] } : { $ifNull: ['$countries', []] },
          lastSignIn: { at: '$$NOW', ...(country ? { country } : {}), ...(coordinates ?? {}) },
          failures: [],
        },
      }], { upsert: true });
      await deps.devices.bind(deviceId, facts.accountId, facts.request.userAgent);
    },
    /** A failed attempt on the account (from the audit stream); awaited before the next assessment in this process. */
    noteFailure(accountId) {
      const write = deps.profiles.updateOne(
        { _id: accountId },
        { $push: { failures: { $each: [new Date()], $slice: -20 } }, $setOnInsert: { networks: [], countries: [] } },
        { upsert: true },
      ).exec().catch(() => undefined);
      pending.add(write);
      void write.finally(() => pending.delete(write));
    },
  };
  return service;
}

export type RiskService = ReturnType<typeof createRiskService>;

/** An audit function that also feeds failed attempts to the risk check. */
export function auditWithRiskFeed(audit: Audit, risk: RiskService): Audit {
  return (event, fields = {}) => {
    audit(event, fields);
    if ((event === 'login.failed' || event === 'mfa.challenge.failed') && typeof fields.accountId === 'string') risk.noteFailure(fields.accountId);
  };
}
