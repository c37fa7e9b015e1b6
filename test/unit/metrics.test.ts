import { describe, expect, test } from '@jest/globals';
import { Registry } from 'prom-client';
import { createAuthMetrics } from '../../src/metrics/auth-metrics.ts';
import { boundedLabel } from '../../src/metrics/bounded-label.ts';
import { createBearerCheck } from '../../src/metrics/metrics-endpoint.ts';

const valueOf = async (registry: Registry, name: string, labels: Record<string, string>) => {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
};

describe('metrics from audit events', () => {
  test('MFA answers and lockouts are counted by outcome and factor; sign-ins by outcome and method', async () => {
    const registry = new Registry();
    const metrics = createAuthMetrics(registry);
    metrics.observeAudit('mfa.challenge.failed', { factor: 'totp', accountId: 'a' });
    metrics.observeAudit('mfa.challenge.failed', { factor: 'totp', accountId: 'a' });
    metrics.observeAudit('mfa.challenge.succeeded', { factor: 'webauthn' });
    metrics.observeAudit('mfa.lockout', { accountId: 'a' });
    metrics.observeAudit('login.succeeded', { amr: ['pwd'] });
    metrics.observeAudit('login.succeeded', { connectorId: 'google', amr: ['fed'] });
    metrics.observeAudit('login.failed', { reason: 'password' });
    metrics.observeAudit('consent.granted', {});
    expect(await valueOf(registry, 'idp_mfa_challenges_total', { outcome: 'failed', factor: 'totp' })).toBe(2);
    expect(await valueOf(registry, 'idp_mfa_challenges_total', { outcome: 'succeeded', factor: 'webauthn' })).toBe(1);
    expect(await valueOf(registry, 'idp_mfa_challenges_total', { outcome: 'locked_out', factor: 'none' })).toBe(1);
    expect(await valueOf(registry, 'idp_sign_ins_total', { outcome: 'succeeded', method: 'password' })).toBe(1);
    expect(await valueOf(registry, 'idp_sign_ins_total', { outcome: 'succeeded', method: 'federated' })).toBe(1);
    expect(await valueOf(registry, 'idp_sign_ins_total', { outcome: 'failed', method: 'password' })).toBe(1);
  });

  test('label values from outside are bounded in shape and number', () => {
    const label = boundedLabel(3);
    expect(['a', 'b', 'c', 'd', 'a'].map(label)).toEqual(['a', 'b', 'c', 'other', 'a']);
    expect(label('/path/with/slashes')).toBe('other');
    expect(label('x'.repeat(41))).toBe('other');
    expect(label(42)).toBe('other');
    const fixed = boundedLabel(0, ['GET', 'POST']);
    expect(['GET', 'BREW', 'POST'].map(fixed)).toEqual(['GET', 'other', 'POST']);
  });

  test('the bearer check accepts exactly the token', () => {
    const check = createBearerCheck('t'.repeat(32));
    expect(check(`Bearer ${'t'.repeat(32)}`)).toBe(true);
    expect(check(`bearer ${'t'.repeat(32)}`)).toBe(true);
    expect(check(`Bearer ${'t'.repeat(31)}`)).toBe(false);
    expect(check(`Basic ${'t'.repeat(32)}`)).toBe(false);
    expect(check(undefined)).toBe(false);
    expect(createBearerCheck(undefined)(undefined)).toBe(true);
  });
});
