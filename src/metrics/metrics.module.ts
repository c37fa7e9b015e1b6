import type { Context, Next } from 'koa';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { mongo } from 'mongoose';
import type { Config } from '../config/config.schema.ts';
import type { ChangeCaches } from '../db/change-cache.ts';
import type { Provider } from '../oidc/provider.ts';
import { createAuthMetrics } from './auth-metrics.ts';
import { createCacheMetrics } from './cache-metrics.ts';
import { createHttpMetrics } from './http-metrics.ts';
import { createMongoMetrics } from './mongo-metrics.ts';
import { listenForMetrics, metricsOnMainPort, type MetricsListener } from './metrics-endpoint.ts';

// Prometheus metrics of one app instance: its own Registry (never prom-client's global one), so two instances in
// one process (tests, a blue/green swap) never share or double-count series. Off by default: then nothing is
// observed and /metrics is not served anywhere.

export function createMetricsModule(config: Config['metrics']) {
  const registry = new Registry();
  const { enabled } = config;
  const noop = () => undefined;
  if (!enabled) {
    return {
      enabled, registry,
      http: (_ctx: Context, next: Next) => next(),
      mainPortEndpoint: undefined,
      observeAudit: noop as (event: string, fields: Record<string, unknown>) => void,
      watchEngine: noop as (provider: Provider) => void,
      watchMongo: noop as (client: mongo.MongoClient) => void,
      watchCaches: noop as (caches: ChangeCaches) => void,
      listen: async (): Promise<MetricsListener | undefined> => undefined,
    };
  }
  // Process metrics, event-loop lag (nodejs_eventloop_lag_seconds and its percentiles) and GC, on this registry.
  collectDefaultMetrics({ register: registry });
  const auth = createAuthMetrics(registry);
  const mongoMetrics = createMongoMetrics(registry);
  let caches: ChangeCaches | undefined;
  createCacheMetrics(registry, () => caches);
  return {
    enabled, registry,
    http: createHttpMetrics(registry),
    mainPortEndpoint: config.token ? metricsOnMainPort({ registry, token: config.token }) : undefined,
    observeAudit: auth.observeAudit,
    watchEngine: auth.watchEngine,
    watchMongo: mongoMetrics.watch,
    watchCaches: (watched: ChangeCaches) => { caches = watched; },
    /** The separate listener (metrics.port); undefined when only the main port serves /metrics. */
    listen: async () => (config.port === undefined ? undefined : listenForMetrics({ registry, token: config.token, host: config.host, port: config.port })),
  };
}

export type Metrics = ReturnType<typeof createMetricsModule>;
