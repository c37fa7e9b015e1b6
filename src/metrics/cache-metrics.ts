import { Counter, Gauge, type Registry } from 'prom-client';
import type { ChangeCaches } from '../db/change-cache.ts';

// The change-stream caches (src/db/change-cache.ts): lookups by collection and result (hit, miss, bypass while the
// stream is down), read from the caches' own counters at scrape time, plus whether the stream is live.
export function createCacheMetrics(registry: Registry, caches: () => ChangeCaches | undefined) {
  new Counter({
    name: 'idp_cache_lookups_total', help: 'change-stream cache lookups by collection and result (hit, miss, bypass: stream down)',
    labelNames: ['collection', 'result'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const [collection, counts] of Object.entries(caches()?.stats() ?? {})) {
        for (const result of ['hit', 'miss', 'bypass'] as const) this.inc({ collection, result }, counts[result]);
      }
    },
  });
  new Gauge({
    name: 'idp_cache_hit_ratio', help: 'hits / (hits + misses) of the change-stream cache since start, by collection',
    labelNames: ['collection'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const [collection, { hit, miss }] of Object.entries(caches()?.stats() ?? {})) {
        if (hit + miss > 0) this.set({ collection }, hit / (hit + miss));
      }
    },
  });
  new Gauge({
    name: 'idp_cache_stream_live', help: '1 while the change stream feeding the caches is confirmed live, else 0', registers: [registry],
    collect() { this.set(caches()?.live ? 1 : 0); },
  });
}
