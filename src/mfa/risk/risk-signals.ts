import { isIPv4 } from 'node:net';
import type { Config } from '../../config/config.schema.ts';
import type { RiskProfileDocument } from './risk.model.ts';

// The signals of the adaptive check (risk.service.ts), computed from what we can observe ourselves. Pure functions:
// the risk service gathers the inputs. Weights and threshold come from config (mfa.risk).

export type SignalName = keyof Config['mfa']['risk']['weights'];

export interface SignalInputs {
  now: Date;
  ip: string;
  knownDevice: boolean;
  country?: string;
  coordinates?: { lat: number; lon: number };
  profile: RiskProfileDocument | null;
}

/** The network of an address: IPv4 /24, IPv6 /48 (a household or an office rather than one address). */
export function networkOf(ip: string): string {
  const plain = ip.replace(/^::ffff:/, '');
  if (isIPv4(plain)) return `${plain.split('.').slice(0, 3).join('.')}.0/24`;
  const groups = plain.split('::')[0]!.split(':');
  return `${groups.slice(0, 3).join(':')}::/48`;
}

/** Great-circle distance in km (haversine). */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = (deg: number) => (deg * Math.PI) / 180;
  const h = Math.sin(rad(b.lat - a.lat) / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(rad(b.lon - a.lon) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

export function parseCoordinates(value: string | undefined): { lat: number; lon: number } | undefined {
  const [lat, lon] = (value ?? '').split(',').map((part) => Number(part.trim()));
  if (lat === undefined || lon === undefined || !Number.isFinite(lat) || !Number.isFinite(lon)) return undefined;
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : undefined;
}

/**
 * Which signals fire. An account with no sign-in history has nothing to compare with: only failures count then
 * (trust on first use, so the first sign-in after sign-up is not questioned).
 */
export function computeSignals(input: SignalInputs, risk: Config['mfa']['risk']): SignalName[] {
  const { profile, now } = input;
  const fired: SignalName[] = [];
  const windowStart = now.getTime() - risk.failedAttemptsWindowSeconds * 1000;
  if ((profile?.failures ?? []).filter((at) => new Date(at).getTime() >= windowStart).length >= risk.failedAttemptsBurst) fired.push('failedAttempts');
  const last = profile?.lastSignIn;
  if (!profile || !last) return fired;
  if (!input.knownDevice) fired.push('newDevice');
  if (!profile.networks.includes(networkOf(input.ip))) fired.push('newNetwork');
  if (now.getTime() - new Date(last.at).getTime() > risk.dormantDays * 24 * 3600 * 1000) fired.push('dormant');
  if (input.country && profile.countries.length && !profile.countries.includes(input.country)) fired.push('newCountry');
  if (input.coordinates && last.lat !== undefined && last.lon !== undefined) {
    const hours = Math.max((now.getTime() - new Date(last.at).getTime()) / 3_600_000, 1 / 60);
    if (distanceKm({ lat: last.lat, lon: last.lon }, input.coordinates) / hours > risk.maxTravelKmh) fired.push('impossibleTravel');
  }
  return fired;
}

export const scoreOf = (signals: SignalName[], risk: Config['mfa']['risk']): number =>
  signals.reduce((sum, signal) => sum + risk.weights[signal], 0);
