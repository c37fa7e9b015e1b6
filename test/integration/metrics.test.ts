import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { Browser } from '../helpers/browser.ts';
import { authorizationRequest, signIn, type Rp } from '../helpers/rp.ts';
import { startWithUserAndRp } from '../helpers/scenario.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const TOKEN = 'metrics-scrape-token-0123456789abcdef';

const scrape = async (url: string, token?: string) =>
  fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

async function families(url: string): Promise<Map<string, PrometheusFamily>> {
  const response = await scrape(url, TOKEN);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return new Map(parsePrometheusTextFormat(await response.text()).map((family) => [family.name, family]));
}

const sample = (family: PrometheusFamily | undefined, labels: Record<string, string>) =>
  Number(family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? 0);

describe('Prometheus metrics', () => {
  let app: TestApp;
  let rp: Rp;
  const user = { email: 'metrics@example.jp', password: 'correct horse battery staple' };

  beforeAll(async () => {
    ({ app, rp } = await startWithUserAndRp({
      label: 'metrics', overrides: { metrics: { enabled: true, port: 0, token: TOKEN } }, user: { ...user, name: 'Metrics User' },
    }));
  });
  afterAll(async () => app?.stop());

  test('the separate listener serves parseable metrics on loopback; a missing or wrong token is refused', async () => {
    expect(app.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(app.metricsUrl).not.toBe(`${app.issuer}/metrics`);
    const none = await scrape(app.metricsUrl!);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await scrape(app.metricsUrl!, 'x'.repeat(TOKEN.length))).status).toBe(401);
    expect((await scrape(app.metricsUrl!, `${TOKEN}x`)).status).toBe(401);

    const metrics = await families(app.metricsUrl!);
    expect(metrics.get('nodejs_eventloop_lag_seconds')?.type).toBe('GAUGE');
    expect(metrics.get('idp_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(metrics.get('idp_mongodb_command_duration_seconds')?.metrics.length).toBeGreaterThan(0);
    expect(sample(metrics.get('idp_mongodb_pool_connections'), {})).toBeGreaterThan(0);
    expect(metrics.get('idp_cache_stream_live')?.metrics[0]?.value).toBe('1');
  });

  test('a sign-in increments the sign-in and token counters; routes are labelled by pattern, not path', async () => {
    const before = await families(app.metricsUrl!);
    const signedIn = (m: Map<string, PrometheusFamily>) => sample(m.get('idp_sign_ins_total'), { outcome: 'succeeded', method: 'password' });
    const codeGrants = (m: Map<string, PrometheusFamily>) => sample(m.get('idp_token_requests_total'), { grant_type: 'authorization_code', outcome: 'issued' });
    const failed = (m: Map<string, PrometheusFamily>) => sample(m.get('idp_sign_ins_total'), { outcome: 'failed' });

    await signIn(new Browser(), rp, user);
    const browser = new Browser();
    browser.stopAt = ['http://127.0.0.1:9/'];
    const login = await browser.get((await authorizationRequest(rp)).url.toString());
    await browser.submit(login, { email: user.email, password: 'wrong password entirely' });

    const after = await families(app.metricsUrl!);
    expect(signedIn(after)).toBe(signedIn(before) + 1);
    expect(failed(after)).toBe(failed(before) + 1);
    expect(codeGrants(after)).toBe(codeGrants(before) + 1);

    const routes = new Set(after.get('idp_http_requests_total')!.metrics.map((m) => m.labels!.route!));
    expect(routes).toContain('/auth');
    expect(routes).toContain('/auth/:uid');
    expect(routes).toContain('/token');
    expect(routes).toContain('/interaction/:uid');
    // No interaction uid (or any other raw path) became a label value.
    expect([...routes].filter((r) => /\/interaction\/[A-Za-z0-9_-]{10,}/.test(r))).toEqual([]);
  });

  test('the cache hit ratio is reported per cached collection', async () => {
    const metrics = await families(app.metricsUrl!);
    const lookups = metrics.get('idp_cache_lookups_total')!;
    const hits = lookups.metrics.filter((m) => m.labels?.result === 'hit').reduce((sum, m) => sum + Number(m.value), 0);
    expect(hits).toBeGreaterThan(0);
    const ratio = metrics.get('idp_cache_hit_ratio')!.metrics;
    expect(ratio.length).toBeGreaterThan(0);
    for (const m of ratio) expect(Number(m.value)).toBeGreaterThanOrEqual(0);
  });

  test('with a token, the main port serves /metrics only to the bearer of that token', async () => {
    expect((await scrape(`${app.issuer}/metrics`)).status).toBe(401);
    expect((await scrape(`${app.issuer}/metrics`, 'wrong-token-wrong-token-wrong-token')).status).toBe(401);
    const ok = await scrape(`${app.issuer}/metrics`, TOKEN);
    expect(ok.status).toBe(200);
    expect(parsePrometheusTextFormat(await ok.text()).some((f) => f.name === 'idp_sign_ins_total')).toBe(true);
  });
});

describe('metrics off (the default)', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp({ label: 'metrics-off' }); });
  afterAll(async () => app?.stop());

  test('/metrics is not served and no listener is opened', async () => {
    expect(app.metricsUrl).toBeUndefined();
    const response = await scrape(`${app.issuer}/metrics`, TOKEN);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('idp_');
    expect((await app.container.metrics.registry.metrics()).trim()).toBe('');
  });
});

describe('two app instances in one process', () => {
  test('keep separate registries', async () => {
    const a = await startTestApp({ label: 'metrics-a', overrides: { metrics: { enabled: true, port: 0 } } });
    const b = await startTestApp({ label: 'metrics-b', overrides: { metrics: { enabled: true, port: 0 } } });
    try {
      expect(a.container.metrics.registry).not.toBe(b.container.metrics.registry);
      await fetch(`${a.issuer}/healthz`);
      await fetch(`${a.issuer}/healthz`);
      const count = async (app: TestApp) => sample(new Map(parsePrometheusTextFormat(await (await fetch(app.metricsUrl!)).text())
        .map((f) => [f.name, f])).get('idp_http_requests_total'), { route: '/healthz' });
      expect(await count(a)).toBe(2);
      expect(await count(b)).toBe(0);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('metrics configuration', () => {
  test('enabled without a listener port or a token is refused at start, with the reason', async () => {
    const { loadConfig } = await import('../../src/config/config.loader.ts');
    const { TEST_SECRETS } = await import('../helpers/test-app.ts');
    expect(() => loadConfig({ env: { NODE_ENV: 'test' }, overrides: { secrets: TEST_SECRETS, metrics: { enabled: true } } }))
      .toThrow(/metrics\.port: metrics\.enabled needs metrics\.port/);
    expect(() => loadConfig({ env: { NODE_ENV: 'test' }, overrides: { secrets: TEST_SECRETS, metrics: { enabled: true, token: 'short' } } }))
      .toThrow(/metrics\.token/);
  });
});
