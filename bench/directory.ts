import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { MongoMemoryReplSet } from 'mongodb-memory-server-core';
import { loadConfig } from '../src/config/config.loader.ts';
import { createLogger } from '../src/shared/logger.ts';
import { bootstrap } from '../src/server.ts';
import { toAuditRecord } from '../src/audit/audit-record.ts';
import { createAuditWriter } from '../src/audit/audit-writer.ts';
import { percentile, round } from './lib/scenario.ts';

// The management plane's costs, in one process on a real MongoDB (part of `npm run bench`, or alone:
// `node bench/directory.ts`):
// - user search through the directory service (the admin API's and SCIM's query path) at 10k and at 100k accounts,
//   p50/p99 per query kind: it should stay flat, since every filter walks an index;
// - the stored audit trail: CPU per audit event for the log line alone and for log line + stored event (the queue,
//   the record and its share of the batched insert), times the events of one password sign-in.
// Settings: BENCH_DIRECTORY_SIZES=10000,100000 BENCH_DIRECTORY_QUERIES=300 BENCH_AUDIT_EVENTS=20000.

const sizes = (process.env.BENCH_DIRECTORY_SIZES ?? '10000,100000').split(',').map(Number);
const QUERIES = Number(process.env.BENCH_DIRECTORY_QUERIES ?? 300);
const AUDIT_EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 20_000);
/** Audit events of one password sign-in at a first-party client (login.succeeded, grant.succeeded, code consumed, risk). */
const EVENTS_PER_SIGN_IN = 4;
const RANKS = ['gold', 'silver', 'bronze'];

const cpuMs = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

async function seed(container: Awaited<ReturnType<typeof bootstrap>>, from: number, to: number) {
  const collection = container.models.Account.collection;
  const now = new Date();
  for (let start = from; start < to; start += 5000) {
    const docs = [];
    for (let i = start; i < Math.min(start + 5000, to); i += 1) {
      const email = `user${String(i).padStart(7, '0')}@bench.example`;
      docs.push({
        _id: randomUUID(), email, emailNormalized: email, emailVerified: true, status: 'active',
        profile: { name: `Name ${String(i).padStart(7, '0')}`, given_name: 'Bench' }, custom: { member_rank: RANKS[i % 3], member_no: `M${i}` },
        createdAt: now, updatedAt: now,
      });
    }
    await collection.insertMany(docs as never[], { ordered: false });
  }
}

async function measureSearches(container: Awaited<ReturnType<typeof bootstrap>>, size: number) {
  const pick = () => Math.floor(Math.random() * size);
  const kinds: Record<string, () => Parameters<typeof container.users.search>[0]> = {
    'email exact': () => ({ email: `user${String(pick()).padStart(7, '0')}@bench.example` }),
    'email prefix (10 matches)': () => ({ email: `user${String(Math.floor(pick() / 10)).padStart(6, '0')}*`, limit: 20 }),
    'name prefix (100 matches)': () => ({ name: `Name ${String(Math.floor(pick() / 100)).padStart(5, '0')}`, limit: 20 }),
    'attribute exact': () => ({ attribute: `member_no=M${pick()}` }),
    'first page, no filter': () => ({ limit: 50 }),
  };
  const rows: Array<{ size: number; query: string; p50: number; p99: number }> = [];
  for (const [query, next] of Object.entries(kinds)) {
    for (let i = 0; i < 20; i += 1) await container.users.search(next()); // warm-up
    const times: number[] = [];
    for (let i = 0; i < QUERIES; i += 1) {
      const started = performance.now();
      const page = await container.users.search(next());
      times.push(performance.now() - started);
      if (query !== 'first page, no filter' && page.total === 0) throw new Error(`${query} found nothing`);
    }
    times.sort((a, b) => a - b);
    rows.push({ size, query, p50: round(percentile(times, 50), 2), p99: round(percentile(times, 99), 2) });
  }
  return rows;
}

async function measureAudit(container: Awaited<ReturnType<typeof bootstrap>>) {
  const logger = createLogger('info', (await import('node:fs')).createWriteStream('/dev/null'));
  const fields = { accountId: randomUUID(), client: 'bench-client', amr: ['pwd'] };
  const request = { ip: '127.0.0.1', userAgent: 'bench/1.0', requestId: randomUUID() };
  // The log line alone (what every audit event always costs).
  let start = process.cpuUsage();
  for (let i = 0; i < AUDIT_EVENTS; i += 1) logger.info({ audit: true, event: 'login.succeeded', ...fields }, 'login.succeeded');
  const logOnly = cpuMs(start) / AUDIT_EVENTS;
  // Log line + stored event through the real writer and its batched inserts, flushed before the clock stops.
  const writer = createAuditWriter(container.models.AuditEvent, { queueLimit: AUDIT_EVENTS + 1, batchSize: 200, flushMs: 250 }, logger);
  start = process.cpuUsage();
  for (let i = 0; i < AUDIT_EVENTS; i += 1) {
    logger.info({ audit: true, event: 'login.succeeded', ...fields }, 'login.succeeded');
    writer.write(toAuditRecord('login.succeeded', fields, request, 90));
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve)); // let batches go out as in a server
  }
  await writer.stop();
  const stored = cpuMs(start) / AUDIT_EVENTS;
  return {
    logOnlyMsPerEvent: round(logOnly, 4), storedMsPerEvent: round(stored, 4),
    addedMsPerSignIn: round((stored - logOnly) * EVENTS_PER_SIGN_IN, 3), eventsPerSignIn: EVENTS_PER_SIGN_IN,
    written: writer.stats().written, dropped: writer.stats().dropped,
  };
}

export async function runDirectoryBench(mongoUri?: string) {
  let replSet: MongoMemoryReplSet | undefined;
  if (!mongoUri) {
    replSet = await MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger', ip: '127.0.0.1' }, instanceOpts: [{ launchTimeout: 60_000 }] });
    mongoUri = replSet.getUri();
  }
  const uri = new URL(mongoUri);
  uri.pathname = '/idp_bench_directory';
  const config = loadConfig({
    env: { NODE_ENV: 'test' },
    overrides: {
      issuer: 'http://127.0.0.1:1', dataDir: mkdtempSync(path.join(tmpdir(), 'idp-bench-dir-')),
      secrets: { cookieKeys: ['bench-cookie-key-0123456789abcdef0123456789'], keyEncryptionKey: 'bench-key-encryption-key-0123456789abcdef' },
      log: { level: 'silent' },
      profile: { customAttributes: [
        { key: 'member_rank', type: 'enum', values: RANKS, labels: { ja: 'ランク', en: 'Rank' } },
        { key: 'member_no', type: 'string', labels: { ja: '会員番号', en: 'Member number' } },
      ] },
    },
  });
  // A clean database each run: the first container only drops it, the second creates the schema anew.
  const first = await bootstrap(config, uri.toString(), createLogger('silent'));
  await first.connection.db!.dropDatabase();
  await first.auditTrail.stop();
  await first.caches.close();
  await first.connection.close();
  try {
    const fresh = await bootstrap(config, uri.toString(), createLogger('silent'));
    const rows = [];
    let seeded = 0;
    for (const size of sizes) {
      await seed(fresh, seeded, size);
      seeded = size;
      rows.push(...await measureSearches(fresh, size));
    }
    const audit = await measureAudit(fresh);
    await fresh.auditTrail.stop();
    await fresh.caches.close();
    await fresh.connection.close();
    return { searches: rows, audit };
  } finally {
    await replSet?.stop();
  }
}

export function formatDirectoryBench(result: Awaited<ReturnType<typeof runDirectoryBench>>): string {
  const lines = ['', 'directory search (container.users.search: admin API and SCIM query path), ms', '  accounts  query                          p50     p99'];
  for (const row of result.searches) lines.push(`  ${String(row.size).padStart(8)}  ${row.query.padEnd(28)} ${String(row.p50).padStart(6)}  ${String(row.p99).padStart(6)}`);
  const a = result.audit;
  lines.push('', `audit trail: CPU ms per event, log line only ${a.logOnlyMsPerEvent}, log line + stored ${a.storedMsPerEvent}`);
  lines.push(`  added CPU per password sign-in (${a.eventsPerSignIn} events): ${a.addedMsPerSignIn} ms; written ${a.written}, dropped ${a.dropped}`);
  return lines.join('\n');
}

if (import.meta.main) {
  const result = await runDirectoryBench(process.env.BENCH_MONGO_URI);
  console.log(formatDirectoryBench(result));
  console.log(JSON.stringify(result));
}
