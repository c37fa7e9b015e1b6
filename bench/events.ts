import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoMemoryReplSet } from 'mongodb-memory-server-core';
import { loadConfig } from '../src/config/config.loader.ts';
import { createLogger } from '../src/shared/logger.ts';
import { startServer, type RunningServer } from '../src/server.ts';

// node bench/events.ts: the cost of events out, in one process (IdP + a minimal receiver answering 200 without
// verifying, so that nearly all CPU measured is the IdP's; mongod's CPU is not counted).
//  1. delivery: a backlog of BENCH_EVENTS events delivered to one subscription: events/s and events per CPU-second
//     (= per core, since delivery per subscription is sequential);
//  2. profile update: CPU per `users.update` with events off, deriving only (no subscriber), deriving + delivering;
//  3. sign-in writes: CPU per the writes a sign-in makes to watched collections (lastLoginAt on the account and the
//     stored login.succeeded audit event), with events off / on / on with events.loginEvents.
// Settings: BENCH_EVENTS=2000 BENCH_UPDATES=500. Uses MONGOMS_* like the tests (source /tmp/cienv.sh here).

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 500);
const SYSTEM = { type: 'system' as const, id: 'bench' };
const cpuMs = (since: NodeJS.CpuUsage) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000; };
const until = async (check: () => Promise<boolean>, timeoutMs = 300_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('bench: timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

async function receiver() {
  let count = 0;
  const server = http.createServer((request, response) => { request.resume(); request.on('end', () => { count += 1; response.writeHead(200).end(); }); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, count: () => count, reset: () => { count = 0; }, close: () => { server.closeAllConnections(); server.close(); } };
}

async function start(uri: string, overrides: Record<string, unknown>): Promise<RunningServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const config = loadConfig({
    env: { NODE_ENV: 'test' },
    overrides: {
      port, host: '127.0.0.1', issuer: `http://127.0.0.1:${port}`, dataDir: mkdtempSync(path.join(tmpdir(), 'idp-bench-')), log: { level: 'silent' },
      secrets: { cookieKeys: ['bench-cookie-key-0123456789abcdef0123456789'], keyEncryptionKey: 'bench-key-encryption-key-0123456789abcdef' },
      webhooks: { allowPrivateTargets: true, pollMs: 20 }, ...overrides,
    },
  });
  return startServer(config, { mongoUri: uri, logger: createLogger('silent'), server });
}

async function profileUpdates(uri: string, mode: 'off' | 'derive' | 'deliver', sink: Awaited<ReturnType<typeof receiver>>) {
  const app = await start(uri, { events: { enabled: mode !== 'off' } });
  const { container } = app;
  const account = await container.accounts.createByAdmin({ email: `bench.${mode}@example.jp`, password: 'a long enough password', verified: true });
  if (mode === 'deliver') await container.events.webhooks.add({ url: sink.url, events: ['user.updated'] }, SYSTEM);
  const stored = () => container.events.events.countDocuments({ type: 'user.updated', 'data.accountId': account._id });
  for (let i = 0; i < 20; i += 1) await container.users.update(account._id, { attributes: { nickname: `w${i}` } }, SYSTEM);
  if (mode !== 'off') await until(async () => (await stored()) >= 20);
  if (mode === 'deliver') await until(async () => sink.count() >= 20);
  sink.reset();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < UPDATES; i += 1) await container.users.update(account._id, { attributes: { nickname: `u${i}` } }, SYSTEM);
  if (mode !== 'off') await until(async () => (await stored()) >= UPDATES + 20);
  if (mode === 'deliver') await until(async () => sink.count() >= UPDATES);
  const result = { cpuMsPerUpdate: cpuMs(cpu) / UPDATES, wallMs: performance.now() - started };
  await app.stop();
  return result;
}

async function signInWrites(uri: string, mode: 'off' | 'on' | 'login-events') {
  const app = await start(uri, { events: { enabled: mode !== 'off', loginEvents: mode === 'login-events' } });
  const { container } = app;
  const account = await container.accounts.createByAdmin({ email: `signin.${mode}@example.jp`, password: 'a long enough password', verified: true });
  const accounts = container.models.Account.collection;
  const write = async () => {
    await accounts.updateOne({ _id: account._id as never }, { $set: { lastLoginAt: new Date(), updatedAt: new Date() } });
    container.audit('login.succeeded', { accountId: account._id, actor: { type: 'user', id: account._id } });
  };
  const cpu = process.cpuUsage();
  for (let i = 0; i < UPDATES; i += 1) await write();
  await container.auditTrail.stop(); // flushes the stored audit events
  if (mode === 'login-events') await until(async () => (await container.events.events.countDocuments({ type: 'login.succeeded' })) >= UPDATES);
  else await new Promise((resolve) => setTimeout(resolve, 500)); // the deriver reads and drops the bookkeeping changes
  const result = { cpuMsPerSignIn: cpuMs(cpu) / UPDATES };
  await app.stop().catch(() => undefined);
  return result;
}

async function delivery(uri: string, sink: Awaited<ReturnType<typeof receiver>>) {
  const app = await start(uri, {});
  const { container } = app;
  const account = await container.accounts.createByAdmin({ email: 'backlog@example.jp', password: 'a long enough password', verified: true });
  const accounts = container.models.Account.collection;
  for (let i = 0; i < EVENTS; i += 1) await accounts.updateOne({ _id: account._id as never }, { $set: { 'profile.nickname': `b${i}` } });
  await until(async () => (await container.events.events.countDocuments({ 'data.accountId': account._id, type: 'user.updated' })) >= EVENTS);
  // A subscription from the start of the backlog (inserted directly: `add` starts after the newest event).
  const first = await container.events.events.find({ 'data.accountId': account._id, type: 'user.updated' }).sort({ seq: 1 }).limit(1).next();
  sink.reset();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await container.models.WebhookSubscription.collection.insertOne({
    _id: 'wh_bench00000000000000000000', url: sink.url, events: ['user.updated'], secret: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
    enabled: true, cursor: first!.seq - 1, createdAt: new Date(0), updatedAt: new Date(),
  } as never);
  await until(async () => sink.count() >= EVENTS);
  const seconds = (performance.now() - started) / 1000;
  const result = { events: EVENTS, perSecond: EVENTS / seconds, perCpuSecond: EVENTS / (cpuMs(cpu) / 1000) };
  await app.stop();
  return result;
}

const replSet = await MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger', ip: '127.0.0.1' }, instanceOpts: [{ launchTimeout: 60_000 }] });
await replSet.waitUntilRunning();
const sink = await receiver();
const uri = (name: string) => { const url = new URL(replSet.getUri()); url.pathname = `/${name}`; return url.toString(); };
try {
  const backlog = await delivery(uri('bench_delivery'), sink);
  const updates = { off: await profileUpdates(uri('bench_upd_off'), 'off', sink), derive: await profileUpdates(uri('bench_upd_derive'), 'derive', sink), deliver: await profileUpdates(uri('bench_upd_deliver'), 'deliver', sink) };
  const signIns = { off: await signInWrites(uri('bench_si_off'), 'off'), on: await signInWrites(uri('bench_si_on'), 'on'), loginEvents: await signInWrites(uri('bench_si_login'), 'login-events') };
  const r = (n: number) => Math.round(n * 100) / 100;
  const lines = [
    `webhook delivery: ${backlog.events} events, ${r(backlog.perSecond)} events/s wall, ${r(backlog.perCpuSecond)} events per CPU-second (per core)`,
    `profile update CPU (IdP process): off ${r(updates.off.cpuMsPerUpdate)} ms, +derive ${r(updates.derive.cpuMsPerUpdate - updates.off.cpuMsPerUpdate)} ms, +derive+deliver ${r(updates.deliver.cpuMsPerUpdate - updates.off.cpuMsPerUpdate)} ms per update`,
    `sign-in writes CPU: off ${r(signIns.off.cpuMsPerSignIn)} ms, +events ${r(signIns.on.cpuMsPerSignIn - signIns.off.cpuMsPerSignIn)} ms, +events with loginEvents ${r(signIns.loginEvents.cpuMsPerSignIn - signIns.off.cpuMsPerSignIn)} ms per sign-in`,
  ];
  process.stdout.write(`${lines.join('\n')}\n${JSON.stringify({ backlog, updates, signIns })}\n`);
} finally {
  sink.close();
  await replSet.stop();
}
