import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoMemoryReplSet } from 'mongodb-memory-server-core';
import { introspect, signIn, tokenRequest, userinfo, type TokenSet } from './lib/http.ts';
import { MeasuredProcess } from './lib/process-handle.ts';
import type { Snapshot } from './lib/protocol.ts';

// `node bench/soak.ts` (not part of `npm run bench`): mixed traffic against our IdP (bench/idp-process.ts, the same
// process as the benchmark's `ours`) for a while, sampling the process's RSS and heap, and reporting their slope by
// least-squares linear regression over the samples after the warm-up (MiB per minute): flat memory means a slope near
// zero. Mix per worker and round: one password sign-in (with a refresh token), then userinfo, introspection,
// refresh and client_credentials calls on it. Settings (environment): BENCH_SOAK_MINUTES=10 BENCH_SOAK_WORKERS=4
// BENCH_SOAK_SAMPLE_S=5 BENCH_SOAK_WARMUP_FRACTION=0.2 BENCH_SOAK_CALLS_PER_SIGNIN=20.
// Output: a summary on stdout and bench/results/soak.json (git-ignored) with every sample.

const number = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const SETTINGS = {
  minutes: number('BENCH_SOAK_MINUTES', 10),
  workers: number('BENCH_SOAK_WORKERS', 4),
  sampleMs: number('BENCH_SOAK_SAMPLE_S', 5) * 1000,
  warmupFraction: Math.min(number('BENCH_SOAK_WARMUP_FRACTION', 0.2), 0.9),
  callsPerSignIn: number('BENCH_SOAK_CALLS_PER_SIGNIN', 20),
};
const MiB = 2 ** 20;

/** Least squares y = a + b x; b per unit of x, and r² of the fit. */
export function linearFit(xs: number[], ys: number[]): { slope: number; intercept: number; r2: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i += 1) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: sxx === 0 || syy === 0 ? 0 : (sxy * sxy) / (sxx * syy) };
}

async function traffic(engine: MeasuredProcess, until: number, counts: Record<string, number>) {
  const info = engine.info;
  const worker = async () => {
    while (performance.now() < until) {
      try {
        const tokens: TokenSet = await signIn(info, 'openid email profile offline_access', { prompt: 'consent' });
        counts.signIn = (counts.signIn ?? 0) + 1;
        let refresh = tokens.refresh_token!;
        for (let i = 0; i < SETTINGS.callsPerSignIn && performance.now() < until; i += 1) {
          const kind = i % 4;
          if (kind === 0) await userinfo(info, tokens.access_token);
          else if (kind === 1) await introspect(info, tokens.access_token, 'access_token');
          else if (kind === 2) refresh = (await tokenRequest(info, { grant_type: 'refresh_token', refresh_token: refresh })).refresh_token!;
          else await tokenRequest(info, { grant_type: 'client_credentials' });
          const name = ['userinfo', 'introspection', 'refresh', 'client_credentials'][kind]!;
          counts[name] = (counts[name] ?? 0) + 1;
        }
      } catch (error) {
        counts.errors = (counts.errors ?? 0) + 1;
        process.stderr.write(`[soak] ${(error as Error).message.slice(0, 200)}\n`);
        await sleep(200);
      }
    }
  };
  await Promise.all(Array.from({ length: SETTINGS.workers }, worker));
}

async function main() {
  const replSet = await MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger', ip: '127.0.0.1' }, instanceOpts: [{ launchTimeout: 60_000 }] });
  const engine = new MeasuredProcess(path.join(import.meta.dirname, 'idp-process.ts'), { BENCH_MONGO_URI: replSet.getUri(), BENCH_DB_NAME: 'idp_soak' }, []);
  try {
    await engine.ready(120_000);
    const durationMs = SETTINGS.minutes * 60_000;
    const started = performance.now();
    const counts: Record<string, number> = {};
    const samples: Array<{ t: number; rssMiB: number; heapMiB: number; cpuMs: number }> = [];
    const sample = (s: Snapshot) => samples.push({
      t: (performance.now() - started) / 60_000, rssMiB: s.rssBytes / MiB, heapMiB: s.heapUsedBytes / MiB, cpuMs: (s.cpuUserUs + s.cpuSystemUs) / 1000,
    });
    sample(await engine.snapshot());
    const load = traffic(engine, started + durationMs, counts);
    while (performance.now() - started < durationMs) {
      await sleep(SETTINGS.sampleMs);
      sample(await engine.snapshot());
      const last = samples.at(-1)!;
      process.stderr.write(`[soak ${last.t.toFixed(1)} min] rss ${last.rssMiB.toFixed(1)} MiB, heap ${last.heapMiB.toFixed(1)} MiB, sign-ins ${counts.signIn ?? 0}\n`);
    }
    await load;
    const measured = samples.filter((s) => s.t >= SETTINGS.minutes * SETTINGS.warmupFraction);
    const rss = linearFit(measured.map((s) => s.t), measured.map((s) => s.rssMiB));
    const heap = linearFit(measured.map((s) => s.t), measured.map((s) => s.heapMiB));
    const summary = {
      settings: SETTINGS, counts, samples: measured.length,
      rssMiB: { first: measured[0]?.rssMiB, last: measured.at(-1)?.rssMiB, max: Math.max(...measured.map((s) => s.rssMiB)), slopePerMinute: rss.slope, r2: rss.r2 },
      heapMiB: { first: measured[0]?.heapMiB, last: measured.at(-1)?.heapMiB, slopePerMinute: heap.slope, r2: heap.r2 },
    };
    console.log(`soak: ${SETTINGS.minutes} min, ${SETTINGS.workers} workers; ${JSON.stringify(counts)}`);
    console.log(`  RSS: ${summary.rssMiB.first?.toFixed(1)} -> ${summary.rssMiB.last?.toFixed(1)} MiB (max ${summary.rssMiB.max.toFixed(1)}), slope ${rss.slope.toFixed(3)} MiB/min (r² ${rss.r2.toFixed(2)}) over ${measured.length} samples after ${(SETTINGS.warmupFraction * 100).toFixed(0)}% warm-up`);
    console.log(`  heap used: ${summary.heapMiB.first?.toFixed(1)} -> ${summary.heapMiB.last?.toFixed(1)} MiB, slope ${heap.slope.toFixed(3)} MiB/min (r² ${heap.r2.toFixed(2)})`);
    const dir = path.join(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'soak.json'), `${JSON.stringify({ ...summary, allSamples: samples }, null, 2)}\n`);
  } finally {
    await engine.stop();
    await replSet.stop({ doCleanup: true, force: true });
  }
}

await main();
