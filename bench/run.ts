import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoMemoryReplSet } from 'mongodb-memory-server-core';
import { introspect, signIn, tokenRequest, userinfo, type TokenSet } from './lib/http.ts';
import { MeasuredProcess } from './lib/process-handle.ts';
import { formatProfile, summarizeProfile } from './lib/profile.ts';
import type { Argon2Measure, Argon2Run, EngineName } from './lib/protocol.ts';
import { round, runScenario, type ScenarioResult, type ScenarioSpec } from './lib/scenario.ts';
import { runSamlScenario, SAML_TARGET_PER_CORE, type SamlRun } from './lib/saml-scenario.ts';

// npm run bench: our IdP (src/server.ts on a real MongoDB) against a bare node-oidc-provider (in memory, and on our
// MongoDB adapter), each alone in a child process, driven from here over keep-alive HTTP on 127.0.0.1. The
// engines run one after another within each scenario, so a change of background load hits them alike.
// Prints a table and writes bench/results/latest.json. Settings (environment):
//   BENCH_OPS=2000 BENCH_LOGIN_OPS=200 BENCH_CONCURRENCY=8 BENCH_LOGIN_CONCURRENCY=4 BENCH_TIME_CAP_S=40
//   BENCH_LOGIN_TIME_CAP_S=60 BENCH_BUDGET_S=270 (all measured runs share it: a loaded machine gets fewer ops,
//   marked with *, rather than a longer run) BENCH_SCENARIOS=client_credentials,userinfo,introspection,refresh,login,saml_sso,directory,events,import
//   BENCH_SAML_OPS=1000 BENCH_SAML_CONCURRENCY=4 BENCH_SAML_TIME_CAP_S=40 (saml_sso: SP-initiated SSO with an existing
//   session on ours only, in its own IdP process with a registered SP: bench/saml-process.ts, bench/lib/saml-scenario.ts)
//   BENCH_ENGINES=ours,bare,bare-mongo BENCH_LOG_LEVEL=info (ours; lines go to /dev/null)
//   BENCH_CPU_PROF=ours|bare|bare-mongo (comma list): profile each measured window (V8 sampling profiler in the
//   child) to bench/results/profiles/<engine>-<scenario>.cpuprofile and print a summary
//   (later: `node bench/lib/profile.ts <file> [ops]`).

const BENCH_DIR = import.meta.dirname;
const RESULTS_DIR = path.join(BENCH_DIR, 'results');
const ALL_ENGINES: EngineName[] = ['ours', 'bare', 'bare-mongo'];
const number = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const list = (name: string, fallback: string[]) => process.env[name]?.split(',').map((s) => s.trim()).filter(Boolean) ?? fallback;

const SETTINGS = {
  tokenOps: number('BENCH_OPS', 2000),
  loginOps: number('BENCH_LOGIN_OPS', 200),
  concurrency: number('BENCH_CONCURRENCY', 8),
  loginConcurrency: number('BENCH_LOGIN_CONCURRENCY', 4),
  tokenTimeCapMs: number('BENCH_TIME_CAP_S', 40) * 1000,
  loginTimeCapMs: number('BENCH_LOGIN_TIME_CAP_S', 60) * 1000,
  warmupOps: 200,
  loginWarmupOps: 10,
  argon2Iterations: number('BENCH_ARGON2_ITERATIONS', 30),
  /** The measured runs share what is left of this (from the start of `npm run bench`), whatever the caps say. */
  budgetMs: number('BENCH_BUDGET_S', 270) * 1000,
  scenarios: list('BENCH_SCENARIOS', ['client_credentials', 'userinfo', 'introspection', 'refresh', 'login', 'saml_sso', 'directory', 'events', 'import']),
  samlOps: number('BENCH_SAML_OPS', 1000),
  samlConcurrency: number('BENCH_SAML_CONCURRENCY', 4),
  samlTimeCapMs: number('BENCH_SAML_TIME_CAP_S', 40) * 1000,
  engines: ALL_ENGINES.filter((e) => list('BENCH_ENGINES', ALL_ENGINES).includes(e)),
  cpuProf: list('BENCH_CPU_PROF', []),
  scope: 'openid email profile offline_access',
  loginScope: 'openid email profile',
};
const TARGETS = { ratioToBare: 1.3, loginCpuMs: 20 };

function machineFacts() {
  const cpus = os.cpus();
  const pkg = (name: string) => (JSON.parse(readFileSync(path.resolve('node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuCount: cpus.length,
    availableParallelism: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemGiB: round(os.totalmem() / 2 ** 30, 1),
    loadAverage1mAtStart: round(os.loadavg()[0] ?? 0, 2),
    mongod: process.env.MONGOMS_SYSTEM_BINARY
      ? `${process.env.MONGOMS_VERSION ?? '?'} (system binary ${process.env.MONGOMS_SYSTEM_BINARY})`
      : `${process.env.MONGOMS_VERSION ?? 'default'} (mongodb-memory-server download)`,
    'mongodb-memory-server-core': pkg('mongodb-memory-server-core'),
  };
}

function log(line: string) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function runAll(engines: MeasuredProcess[], deadline: number, mongoUri: string | undefined): Promise<{ results: ScenarioResult[]; argon2?: Argon2Measure; saml?: SamlRun }> {
  const results: ScenarioResult[] = [];
  const want = (name: string) => SETTINGS.scenarios.includes(name);
  const tokenSpec = { ops: SETTINGS.tokenOps, warmupOps: SETTINGS.warmupOps, concurrency: SETTINGS.concurrency, timeCapMs: SETTINGS.tokenTimeCapMs };
  const tokenScenarios = ['client_credentials', 'userinfo', 'introspection', 'refresh'].filter(want).length;
  const withOurs = engines.some((e) => e.info.engine === 'ours');
  const samlWanted = want('saml_sso') && withOurs && mongoUri !== undefined;
  let runsLeft = tokenScenarios * engines.length + (want('login') && withOurs ? 1 : 0) + (samlWanted ? 1 : 0);
  // A fair share of the remaining budget (the warm-up may take up to a quarter more), never more than the cap.
  const capFor = (requestedMs: number) => {
    const share = Math.max(3000, (deadline - performance.now() - 15_000) / runsLeft / 1.25);
    runsLeft -= 1;
    return Math.round(Math.min(requestedMs, share));
  };
  const run = async (engine: MeasuredProcess, requested: ScenarioSpec) => {
    const name = engine.info.engine;
    const spec = { ...requested, timeCapMs: capFor(requested.timeCapMs) };
    log(`${name}: ${spec.name} (${spec.ops} ops, concurrency ${spec.concurrency}, cap ${(spec.timeCapMs / 1000).toFixed(1)} s)`);
    const result = await runScenario(engine, spec);
    log(`${name}: ${spec.name}: ${result.throughputOpsPerSec} ops/s, ${result.cpuMsPerOp} CPU ms/op, ${result.mongoCommandsPerOp} Mongo cmds/op${result.errors ? `, ${result.errors} ERRORS: ${result.firstError}` : ''}`);
    results.push(result);
  };

  if (want('client_credentials')) {
    for (const engine of engines) {
      await run(engine, { name: 'client_credentials', ...tokenSpec, op: async () => void await tokenRequest(engine.info, { grant_type: 'client_credentials' }) });
    }
  }

  // One sign-in per worker and engine (not measured): the tokens the userinfo, introspection and refresh scenarios
  // use. After client_credentials on purpose: the bare engine's in-memory store is an LRU of about 1000 entries.
  // offline_access (a refresh token) needs prompt=consent (OIDC Core §11), first-party client or not.
  const sessions = new Map<MeasuredProcess, TokenSet[]>();
  if (want('userinfo') || want('introspection') || want('refresh')) {
    for (const engine of engines) {
      const signedIn = await Promise.all(Array.from({ length: SETTINGS.concurrency }, () => signIn(engine.info, SETTINGS.scope, { prompt: 'consent' })));
      if (signedIn.some((s) => !s.refresh_token)) throw new Error(`${engine.info.engine}: sign-in gave no refresh_token`);
      sessions.set(engine, signedIn);
    }
  }
  const tokensOf = (engine: MeasuredProcess, worker: number) => sessions.get(engine)![worker]!;

  if (want('userinfo')) {
    for (const engine of engines) {
      await run(engine, {
        name: 'userinfo', ...tokenSpec,
        async op(worker) {
          const claims = await userinfo(engine.info, tokensOf(engine, worker).access_token);
          if (typeof claims.sub !== 'string' || typeof claims.email !== 'string') throw new Error('userinfo without sub/email');
        },
      });
    }
  }
  if (want('introspection')) {
    for (const engine of engines) {
      await run(engine, {
        name: 'introspection', ...tokenSpec,
        async op(worker) {
          const result = await introspect(engine.info, tokensOf(engine, worker).access_token, 'access_token');
          if (result.active !== true) throw new Error(`introspection: token not active: ${JSON.stringify(result)}`);
        },
      });
    }
  }
  if (want('refresh')) {
    for (const engine of engines) {
      // Rotation: every operation uses the refresh token returned by the previous one (one chain per worker).
      const chains = sessions.get(engine)!.map((s) => s.refresh_token!);
      await run(engine, {
        name: 'refresh', ...tokenSpec,
        async op(worker) {
          const next = await tokenRequest(engine.info, { grant_type: 'refresh_token', refresh_token: chains[worker]! });
          if (!next.refresh_token || next.refresh_token === chains[worker]) throw new Error('refresh token was not rotated');
          if (!next.id_token) throw new Error('refresh gave no id_token');
          chains[worker] = next.refresh_token;
        },
      });
    }
  }

  let argon2: Argon2Measure | undefined;
  const ours = engines.find((e) => e.info.engine === 'ours');
  if (ours && want('login')) {
    await run(ours, {
      name: 'login', ops: SETTINGS.loginOps, warmupOps: SETTINGS.loginWarmupOps, concurrency: SETTINGS.loginConcurrency,
      timeCapMs: SETTINGS.loginTimeCapMs,
      async op() {
        const tokens = await signIn(ours.info, SETTINGS.loginScope);
        if (!tokens.id_token) throw new Error('login gave no id_token');
      },
    });
    log(`ours: argon2id verify alone (${SETTINGS.argon2Iterations} verifies one after another, then ${SETTINGS.loginConcurrency} at a time)`);
    argon2 = await ours.argon2(SETTINGS.argon2Iterations, SETTINGS.loginConcurrency);
  }

  // SAML SSO with an existing session: its own IdP process (ours, with the load generator's SP registered).
  let saml: SamlRun | undefined;
  if (samlWanted) {
    const profileDir = SETTINGS.cpuProf.includes('ours') ? path.join(RESULTS_DIR, 'profiles') : undefined;
    saml = await runSamlScenario({
      mongoUri: mongoUri!, ops: SETTINGS.samlOps, concurrency: SETTINGS.samlConcurrency, signed: true,
      timeCapMs: capFor(SETTINGS.samlTimeCapMs), profileDir, log,
    });
    const r = saml.result;
    log(`ours: saml_sso: ${r.throughputOpsPerSec} responses/s, ${saml.totalCpuMsPerResponse} CPU ms/response, ${r.mongoCommandsPerOp} Mongo cmds/response${r.errors ? `, ${r.errors} ERRORS: ${r.firstError}` : ''}`);
    results.push(r);
  }
  return { results, ...(argon2 ? { argon2 } : {}), ...(saml ? { saml } : {}) };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

/** The SAML section of the report: CPU per Response and Responses per second per core against the target. */
function samlReport(saml: SamlRun): { lines: string[]; summary: Record<string, unknown> } {
  const met = saml.responsesPerSecPerCore >= SAML_TARGET_PER_CORE && saml.result.errors === 0;
  const r = saml.result;
  return {
    lines: [
      '', `== SAML SSO with an existing session (SP-initiated, signed HTTP-Redirect AuthnRequest -> signed assertion), target >= ${SAML_TARGET_PER_CORE} responses/s per core`,
      `  saml_sso: ${fmt(saml.totalCpuMsPerResponse, 3)} CPU ms/response (user ${fmt(r.cpuUserMsPerOp)}, system ${fmt(r.cpuSystemMsPerOp)}, child processes ${fmt(saml.childCpuMsPerResponse)})`
        + ` -> ${fmt(saml.responsesPerSecPerCore, 1)} responses/s per core (= 1000 / CPU ms) -> ${met ? 'MET' : 'NOT MET'}`,
      `  ${fmt(r.throughputOpsPerSec, 1)} responses/s at concurrency ${r.concurrency}, ${fmt(r.mongoCommandsPerOp)} MongoDB commands per response`,
    ],
    summary: {
      cpuMsPerResponse: saml.totalCpuMsPerResponse, childCpuMsPerResponse: saml.childCpuMsPerResponse,
      responsesPerSecPerCore: saml.responsesPerSecPerCore, target: SAML_TARGET_PER_CORE, met,
    },
  };
}

function report(results: ScenarioResult[], argon2: Argon2Measure | undefined, saml: SamlRun | undefined, machine: ReturnType<typeof machineFacts>, versions: Record<string, string>) {
  const out: string[] = [];
  out.push('', '== Machine', ...Object.entries({ ...machine, loadAverage1mAtEnd: round(os.loadavg()[0] ?? 0, 2), ...versions }).map(([k, v]) => `  ${k}: ${v}`));
  out.push('  (a load average above the CPU count means other processes shared the CPUs: throughput and latency suffer first, CPU ms/op less)');
  out.push(`  settings: ${SETTINGS.tokenOps} ops per token scenario (concurrency ${SETTINGS.concurrency}, cap ${SETTINGS.tokenTimeCapMs / 1000} s), ${SETTINGS.loginOps} logins (concurrency ${SETTINGS.loginConcurrency}, cap ${SETTINGS.loginTimeCapMs / 1000} s), ${SETTINGS.warmupOps}/${SETTINGS.loginWarmupOps} warm-up ops first; keep-alive fetch on 127.0.0.1`);
  out.push('  engines: ours = src/ (koa + oidc-provider + MongoDB); bare = oidc-provider alone, in-memory adapter, static client;');
  out.push('           bare-mongo = the same bare engine on our MongoDB adapter (src/oidc/adapter), static client');
  out.push('', '== Results (CPU = user+system time of the IdP process alone; mongod and the load generator excluded)');
  const rows = [['scenario', 'engine', 'ops', 'errors', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'CPU ms/op', 'main thr ms', 'Mongo cmds/op', 'commands per op']];
  for (const r of results) {
    rows.push([
      r.scenario, r.engine, `${r.opsCompleted}${r.stoppedByTimeCap ? '*' : ''}`, String(r.errors), fmt(r.throughputOpsPerSec, 1),
      fmt(r.latencyMs.p50), fmt(r.latencyMs.p95), fmt(r.latencyMs.p99), fmt(r.cpuMsPerOp, 3), fmt(r.cpuMainThreadMsPerOp, 3), fmt(r.mongoCommandsPerOp, 2),
      Object.entries(r.mongoCommandsPerOpByName).map(([k, v]) => `${k} ${v}`).join(', ') || '-',
    ]);
  }
  out.push(table(rows));
  if (results.some((r) => r.stoppedByTimeCap)) out.push('  * stopped by the time cap before the planned op count');
  const withDb = results.filter((r) => Object.keys(r.mongoCommandsPerOpByCollection).length);
  if (withDb.length) {
    out.push('', '== MongoDB commands per op, by collection');
    for (const r of withDb) {
      out.push(`  ${r.engine}/${r.scenario}: ${Object.entries(r.mongoCommandsPerOpByCollection).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
  }

  const comparison: Array<Record<string, unknown>> = [];
  const find = (engine: EngineName, scenario: string) => results.find((r) => r.engine === engine && r.scenario === scenario);
  out.push('', `== Ours vs the bare oidc-provider, CPU per op (target: ours <= ${TARGETS.ratioToBare}x bare)`);
  const cmp = [['scenario', 'verdict', 'ours ms', 'bare ms', 'ours/bare', 'bare-mongo ms', 'bare-mongo/bare', 'ours/bare-mongo']];
  for (const ours of results.filter((r) => r.engine === 'ours' && r.scenario !== 'login')) {
    const bare = find('bare', ours.scenario);
    const bareMongo = find('bare-mongo', ours.scenario);
    if (!bare) continue;
    const ratio = ours.cpuMsPerOp / bare.cpuMsPerOp;
    const met = ratio <= TARGETS.ratioToBare && ours.errors === 0 && bare.errors === 0;
    cmp.push([
      ours.scenario, met ? 'MET' : 'NOT MET', fmt(ours.cpuMsPerOp, 3), fmt(bare.cpuMsPerOp, 3), `${fmt(ratio)}x`,
      bareMongo ? fmt(bareMongo.cpuMsPerOp, 3) : '-', bareMongo ? `${fmt(bareMongo.cpuMsPerOp / bare.cpuMsPerOp)}x` : '-',
      bareMongo ? `${fmt(ours.cpuMsPerOp / bareMongo.cpuMsPerOp)}x` : '-',
    ]);
    comparison.push({
      scenario: ours.scenario, oursCpuMsPerOp: ours.cpuMsPerOp, bareCpuMsPerOp: bare.cpuMsPerOp, ratio: round(ratio, 2),
      target: TARGETS.ratioToBare, met,
      ...(bareMongo ? { bareMongoCpuMsPerOp: bareMongo.cpuMsPerOp, oursToBareMongo: round(ours.cpuMsPerOp / bareMongo.cpuMsPerOp, 2) } : {}),
    });
  }
  if (cmp.length > 1) out.push(table(cmp));

  const login = find('ours', 'login');
  let loginSummary: Record<string, unknown> | undefined;
  if (login) {
    const met = login.cpuMsPerOp <= TARGETS.loginCpuMs && login.errors === 0;
    out.push('', `== Password login (authorize -> login page -> POST credentials -> code -> token exchange), target <= ${TARGETS.loginCpuMs} CPU ms/op`);
    out.push(`  login: ${fmt(login.cpuMsPerOp)} CPU ms/op (user ${fmt(login.cpuUserMsPerOp)}, system ${fmt(login.cpuSystemMsPerOp)}) -> ${met ? 'MET' : 'NOT MET'}`);
    out.push(`  of which the main JavaScript thread: ${fmt(login.cpuMainThreadMsPerOp)} CPU ms/op (the rest: the libuv pool with argon2, GC and compiler threads)`);
    if (argon2) {
      const line = (label: string, run: Argon2Run) => `  argon2id verify alone, ${label}: ${fmt(run.cpuMsPerVerify)} CPU ms (user ${fmt(run.cpuUserMsPerVerify)}, system ${fmt(run.cpuSystemMsPerVerify)}) per verify, ${fmt(run.wallMsPerVerify)} wall ms per verify`;
      out.push(`  (${argon2.parameters}, ${argon2.iterations} verifies each way, in the IdP process, right after the login scenario)`);
      out.push(line('one after another', argon2.sequential));
      out.push(line(`${argon2.concurrent.concurrency} at a time`, argon2.concurrent));
      out.push(`  login without argon2: ${fmt(login.cpuMsPerOp - argon2.concurrent.cpuMsPerVerify)} CPU ms/op (login minus the ${argon2.concurrent.concurrency}-at-a-time verify; ${fmt(login.cpuMsPerOp - argon2.sequential.cpuMsPerVerify)} minus the one-after-another verify)`);
    }
    loginSummary = {
      cpuMsPerOp: login.cpuMsPerOp, cpuMainThreadMsPerOp: login.cpuMainThreadMsPerOp, target: TARGETS.loginCpuMs, met,
      ...(argon2 ? {
        argon2CpuMsPerVerifySequential: round(argon2.sequential.cpuMsPerVerify, 3),
        argon2CpuMsPerVerifyConcurrent: round(argon2.concurrent.cpuMsPerVerify, 3),
        restCpuMsPerOp: round(login.cpuMsPerOp - argon2.concurrent.cpuMsPerVerify, 3),
      } : {}),
    };
  }

  const samlSection = saml ? samlReport(saml) : undefined;
  if (samlSection) out.push(...samlSection.lines);

  const profiled = results.filter((r) => r.profile);
  if (profiled.length) {
    out.push('', '== CPU profiles of the measured windows (V8 sampling profiler, JS thread only: argon2 runs on the libuv pool)');
    out.push('   note: the CPU ms/op figures of a profiled run include the profiler\'s own overhead');
    for (const r of profiled) {
      out.push(formatProfile(`${r.engine}/${r.scenario} (${path.relative(process.cwd(), r.profile!)})`, summarizeProfile(r.profile!), r.opsCompleted + r.errors));
    }
  }
  console.log(out.join('\n'));
  return { comparison, login: loginSummary, ...(samlSection ? { saml: samlSection.summary } : {}) };
}

async function main() {
  const started = new Date();
  const runStarted = performance.now();
  const machine = machineFacts();
  let replSetPending: Promise<MongoMemoryReplSet> | undefined;
  let replSet: MongoMemoryReplSet | undefined;
  const engines: MeasuredProcess[] = [];
  let failed = false;

  const within = <T>(promise: Promise<T>, ms: number) =>
    Promise.race([promise, sleep(ms, undefined, { ref: false })]).catch(() => undefined);
  let cleaning: Promise<void> | undefined;
  const cleanup = () => cleaning ??= (async () => {
    await Promise.allSettled(engines.map((e) => e.stop()));
    // Also when interrupted while mongod is still starting (it may already be running).
    const stopping = replSet ?? (replSetPending ? await within(replSetPending, 60_000) : undefined);
    if (stopping) await within(stopping.stop({ doCleanup: true, force: true }), 20_000);
  })();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the IdP processes and MongoDB`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  let results: ScenarioResult[] = [];
  let argon2: Argon2Measure | undefined;
  let saml: SamlRun | undefined;
  const versions: Record<string, string> = {};
  try {
    if (SETTINGS.engines.some((e) => e !== 'bare')) {
      log('starting MongoDB (one-node replica set, wiredTiger, 127.0.0.1)');
      replSetPending = MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger', ip: '127.0.0.1' } });
      replSet = await replSetPending;
      await replSet.waitUntilRunning();
    }
    for (const name of SETTINGS.engines) {
      const script = path.join(BENCH_DIR, name === 'ours' ? 'idp-process.ts' : 'bare-process.ts');
      const profileDir = SETTINGS.cpuProf.includes(name) ? path.join(RESULTS_DIR, 'profiles') : undefined;
      if (profileDir) mkdirSync(profileDir, { recursive: true });
      log(`starting the ${name} IdP process${profileDir ? ` (measured windows profiled to ${profileDir})` : ''}`);
      const env: Record<string, string> = replSet ? { BENCH_MONGO_URI: replSet.getUri() } : {};
      if (name === 'bare-mongo') env.BENCH_BARE_ADAPTER = 'mongo';
      const engine = new MeasuredProcess(script, env, []);
      engine.profileDir = profileDir;
      engines.push(engine);
      const info = await engine.ready(120_000);
      if (name === 'ours') Object.assign(versions, info.versions);
    }
    const outcome = await runAll(engines, runStarted + SETTINGS.budgetMs, replSet?.getUri());
    results = outcome.results;
    argon2 = outcome.argon2;
    saml = outcome.saml;
  } catch (error) {
    failed = true;
    console.error(`bench failed: ${(error as Error).stack ?? error}`);
  } finally {
    await cleanup();
  }

  if (results.length) {
    const order = (r: ScenarioResult) => SETTINGS.scenarios.indexOf(r.scenario) * 10 + ALL_ENGINES.indexOf(r.engine);
    results.sort((a, b) => order(a) - order(b));
    const summary = report(results, argon2, saml, machine, versions);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, 'latest.json');
    writeFileSync(file, `${JSON.stringify({
      startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine,
      loadAverage1mAtEnd: round(os.loadavg()[0] ?? 0, 2), versions, settings: SETTINGS, targets: TARGETS,
      results, argon2, ...summary,
    }, null, 2)}\n`);
    console.log(`\nJSON: ${path.relative(process.cwd(), file)}`);
  }
  // The management plane (bench/directory.ts): user search at 10k and 100k accounts, and the audit trail's cost.
  if (SETTINGS.scenarios.includes('directory')) {
    const { formatDirectoryBench, runDirectoryBench } = await import('./directory.ts');
    log('directory: user search at 10k and 100k accounts, audit trail cost (its own MongoDB)');
    console.log(formatDirectoryBench(await runDirectoryBench()));
  }
  // Events out (bench/events.ts) and user import (bench/import.ts) each run alone in a child process with a
  // MongoDB of their own, so their figures are not disturbed by what ran before; their tables go to stdout as they are.
  for (const [scenario, script, what] of [
    ['events', 'events.ts', 'events out: webhook deliveries per CPU-second, added CPU per profile update and per sign-in'],
    ['import', 'import.ts', 'user import: users/s with and without password hashes, memory at BENCH_IMPORT_LINES (100k)'],
  ] as const) {
    if (!SETTINGS.scenarios.includes(scenario)) continue;
    log(what);
    const child = spawnSync(process.execPath, [path.join(BENCH_DIR, script)], { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
    if (child.status !== 0) { console.error(`${scenario}: bench/${script} exited with ${child.status ?? child.signal}`); failed = true; }
  }
  if (results.some((r) => r.errors > 0)) {
    console.error('some operations failed: see errors and firstError above');
    failed = true;
  }
  process.exit(failed ? 1 : 0);
}

await main();
