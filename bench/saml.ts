import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoMemoryReplSet } from 'mongodb-memory-server-core';
import { round } from './lib/scenario.ts';
import { runSamlScenario, SAML_TARGET_PER_CORE } from './lib/saml-scenario.ts';

// `node bench/saml.ts`: the SAML scenario of `npm run bench` alone (bench/lib/saml-scenario.ts), with a JSON report:
// SP-initiated SSO with an existing session, a signed assertion per Response. CPU per Response is the IdP process's
// user+system time plus that of any child process it starts (read from /proc; none since schema validation runs
// in-process). Settings: BENCH_SAML_OPS=1000 BENCH_SAML_CONCURRENCY=4 BENCH_SAML_SIGNED_REQUESTS=1
// BENCH_SAML_TIME_CAP_S=120, BENCH_CPU_PROF=1 writes the measured window's V8 profile to bench/results/profiles/.

const OPS = Number(process.env.BENCH_SAML_OPS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_SAML_CONCURRENCY ?? 4);
const SIGNED = process.env.BENCH_SAML_SIGNED_REQUESTS !== '0';
const TIME_CAP_MS = Number(process.env.BENCH_SAML_TIME_CAP_S ?? 120) * 1000;

const log = (line: string) => process.stderr.write(`[bench saml ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main() {
  const loadAtStart = round(os.loadavg()[0] ?? 0, 2);
  const replSet = await MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger', ip: '127.0.0.1' } });
  try {
    const profileDir = process.env.BENCH_CPU_PROF ? path.join(import.meta.dirname, 'results', 'profiles') : undefined;
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    const run = await runSamlScenario({ mongoUri: replSet.getUri(), ops: OPS, concurrency: CONCURRENCY, signed: SIGNED, timeCapMs: TIME_CAP_MS, profileDir, log });
    const { result } = run;
    const report = {
      machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverage1mAtStart: loadAtStart, loadAverage1m: round(os.loadavg()[0] ?? 0, 2) },
      scenario: result.scenario, signedAuthnRequests: SIGNED, ops: result.opsCompleted, errors: result.errors, firstError: result.firstError,
      concurrency: CONCURRENCY, throughputResponsesPerSec: result.throughputOpsPerSec, latencyMs: result.latencyMs,
      idpCpuMsPerResponse: result.cpuMsPerOp, idpCpuUserMsPerResponse: result.cpuUserMsPerOp, idpCpuSystemMsPerResponse: result.cpuSystemMsPerOp,
      childProcessCpuMsPerResponse: run.childCpuMsPerResponse, totalCpuMsPerResponse: run.totalCpuMsPerResponse,
      responsesPerSecPerCore: run.responsesPerSecPerCore, targetPerCore: SAML_TARGET_PER_CORE,
      mongoCommandsPerResponse: result.mongoCommandsPerOp, mongoByCollection: result.mongoCommandsPerOpByCollection,
      ...(result.profile ? { profile: result.profile } : {}),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    log(`${report.responsesPerSecPerCore} responses/s per core (${report.totalCpuMsPerResponse} CPU ms each); target >= ${SAML_TARGET_PER_CORE}`);
    if (result.errors) process.exitCode = 1;
  } finally {
    await replSet.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
