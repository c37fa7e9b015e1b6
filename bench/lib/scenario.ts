import path from 'node:path';
import type { MeasuredProcess } from './process-handle.ts';
import type { EngineName, Snapshot } from './protocol.ts';

// A scenario: a fixed number of operations spread over `concurrency` workers, stopped early at a time cap,
// after a short warm-up. The measured process reports CPU and MongoDB commands before and after the run.

export interface ScenarioSpec {
  name: string;
  ops: number;
  warmupOps: number;
  concurrency: number;
  timeCapMs: number;
  /** One operation of worker `worker`; throws on any protocol failure. */
  op(worker: number): Promise<void>;
}

export interface ScenarioResult {
  engine: EngineName;
  scenario: string;
  opsPlanned: number;
  opsCompleted: number;
  errors: number;
  firstError?: string;
  stoppedByTimeCap: boolean;
  concurrency: number;
  wallSeconds: number;
  throughputOpsPerSec: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  /** The .cpuprofile of the measured window, when profiling was asked for (its CPU figures include the profiler). */
  profile?: string;
  cpuMsPerOp: number;
  cpuUserMsPerOp: number;
  cpuSystemMsPerOp: number;
  /** The main JavaScript thread's share of cpuMsPerOp (the rest: libuv pool with argon2, GC and compiler threads). */
  cpuMainThreadMsPerOp: number;
  mongoCommandsPerOp: number;
  /** Per op, by command name (find, update, ...). */
  mongoCommandsPerOpByName: Record<string, number>;
  /** Per op, by command and collection (find oidc_client, ...). */
  mongoCommandsPerOpByCollection: Record<string, number>;
  rssMiB: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

async function drive(spec: ScenarioSpec, ops: number, deadline: number, latencies: number[] | undefined) {
  let started = 0;
  let errors = 0;
  let firstError: string | undefined;
  const broken = new Set<number>();
  const worker = async (index: number) => {
    while (started < ops && performance.now() < deadline && !broken.has(index)) {
      started += 1;
      const t0 = performance.now();
      try {
        await spec.op(index);
        latencies?.push(performance.now() - t0);
      } catch (error) {
        errors += 1;
        firstError ??= (error as Error).message;
        // A worker whose state is broken (e.g. a refresh chain) stops; the others go on.
        if (errors > 20) broken.add(index);
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, (_, i) => worker(i)));
  return { started, errors, firstError, timedOut: started < ops };
}

export async function runScenario(engine: MeasuredProcess, spec: ScenarioSpec): Promise<ScenarioResult> {
  if (spec.warmupOps > 0) {
    const warm = await drive({ ...spec }, spec.warmupOps, performance.now() + spec.timeCapMs / 4, undefined);
    if (warm.errors > 0) throw new Error(`${engine.info.engine}/${spec.name}: warm-up failed: ${warm.firstError}`);
  }
  const latencies: number[] = [];
  if (engine.profileDir) await engine.profileStart();
  const before: Snapshot = await engine.snapshot();
  const t0 = performance.now();
  const run = await drive(spec, spec.ops, t0 + spec.timeCapMs, latencies);
  const wallMs = performance.now() - t0;
  const after: Snapshot = await engine.snapshot();
  const profile = engine.profileDir
    ? await engine.profileStop(path.join(engine.profileDir, `${engine.info.engine}-${spec.name}.cpuprofile`))
    : undefined;

  latencies.sort((a, b) => a - b);
  const n = run.started;
  const cpuUser = (after.cpuUserUs - before.cpuUserUs) / 1000;
  const cpuSystem = (after.cpuSystemUs - before.cpuSystemUs) / 1000;
  const byName: Record<string, number> = {};
  const byCollection: Record<string, number> = {};
  for (const [key, count] of Object.entries(after.mongoByCommand)) {
    const delta = count - (before.mongoByCommand[key] ?? 0);
    if (delta > 0) (key.includes(' ') ? byCollection : byName)[key] = round(delta / n, 3);
  }
  return {
    engine: engine.info.engine,
    scenario: spec.name,
    opsPlanned: spec.ops,
    opsCompleted: n - run.errors,
    errors: run.errors,
    ...(run.firstError ? { firstError: run.firstError } : {}),
    stoppedByTimeCap: run.timedOut,
    ...(profile ? { profile } : {}),
    concurrency: spec.concurrency,
    wallSeconds: round(wallMs / 1000, 2),
    throughputOpsPerSec: round((n - run.errors) / (wallMs / 1000), 1),
    latencyMs: {
      p50: round(percentile(latencies, 50), 2),
      p95: round(percentile(latencies, 95), 2),
      p99: round(percentile(latencies, 99), 2),
      max: round(latencies.at(-1) ?? Number.NaN, 2),
      mean: round(latencies.reduce((a, b) => a + b, 0) / latencies.length, 2),
    },
    cpuMsPerOp: round((cpuUser + cpuSystem) / n, 3),
    cpuUserMsPerOp: round(cpuUser / n, 3),
    cpuSystemMsPerOp: round(cpuSystem / n, 3),
    cpuMainThreadMsPerOp: round((after.cpuMainThreadUs - before.cpuMainThreadUs) / 1000 / n, 3),
    mongoCommandsPerOp: round((after.mongoCommands - before.mongoCommands) / n, 2),
    mongoCommandsPerOpByName: byName,
    mongoCommandsPerOpByCollection: byCollection,
    rssMiB: round(after.rssBytes / 2 ** 20, 1),
  };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
