import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { MongoMemoryReplSet } from 'mongodb-memory-server-core';
import { createBulkAccounts } from '../src/accounts/bulk-create.ts';
import { createUserImport } from '../src/accounts/user-import.ts';
import { loadConfig } from '../src/config/config.loader.ts';
import { createLogger } from '../src/shared/logger.ts';
import { bootstrap } from '../src/server.ts';

// `idp users import` throughput and memory: BENCH_IMPORT_LINES (default 100k) lines of NDJSON, once without password
// hashes and once with a bcrypt hash and a PBKDF2 hash of another system on every line (stored as they are, checked
// at import), through the same code as the command, in one process on a real MongoDB. Reports users/s, and the peak
// RSS and heap while importing (the file is streamed, so the peak should not grow with the number of lines).
// Run alone: `node bench/import.ts` (MONGODB_URI to use another MongoDB; BENCH_IMPORT_BATCH=500).

const LINES = Number(process.env.BENCH_IMPORT_LINES ?? 100_000);
const BATCH = Number(process.env.BENCH_IMPORT_BATCH ?? 500);
const HASHES = [
  '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
  'pbkdf2_sha256$260000$Rf0uNa9yvp0bHjBn$Ubu7hN+x3N4Nc9zq2dMCAwbM8fCNV1sNQhR9v2TvXWM=',
];

async function writeFile(file: string, withHashes: boolean): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < LINES; i++) {
    const line = {
      email: `bench-${String(i).padStart(7, '0')}@import.example`, email_verified: i % 2 === 0, external_id: `legacy-${i}`,
      name: `Bench User ${i}`, attributes: { given_name: 'Bench', family_name: `User${i}` },
      ...(withHashes ? { password_hash: HASHES[i % HASHES.length] } : {}),
      ...(i % 20 === 0 ? { identities: [{ connector: 'legacy-social', subject: `social-${i}` }] } : {}),
    };
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

async function main() {
  let mongoUri = process.env.MONGODB_URI;
  let replSet: MongoMemoryReplSet | undefined;
  if (!mongoUri) {
    replSet = await MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger', ip: '127.0.0.1' }, instanceOpts: [{ launchTimeout: 60_000 }] });
    mongoUri = replSet.getUri();
  }
  const uri = new URL(mongoUri);
  uri.pathname = '/idp_bench_import';
  const dir = mkdtempSync(path.join(tmpdir(), 'idp-bench-import-'));
  const config = loadConfig({
    env: { NODE_ENV: 'test' },
    overrides: {
      issuer: 'http://127.0.0.1:1', dataDir: dir, log: { level: 'silent' },
      secrets: { cookieKeys: ['bench-cookie-key-0123456789abcdef0123456789'], keyEncryptionKey: 'bench-key-encryption-key-0123456789abcdef' },
    },
  });
  const rows = [];
  try {
    for (const withHashes of [false, true]) {
      const container = await bootstrap(config, uri.toString(), createLogger('silent'));
      await container.connection.db!.dropDatabase();
      await container.auditTrail.stop();
      await container.caches.close();
      await container.connection.close();
      const c = await bootstrap(config, uri.toString(), createLogger('silent'));
      const file = path.join(dir, `users-${withHashes ? 'hashes' : 'plain'}.ndjson`);
      await writeFile(file, withHashes);
      const bulk = createBulkAccounts({ models: c.models, schema: c.profile.schema, audit: c.audit });
      const importer = createUserImport({ users: c.users, bulk, models: c.models, audit: c.audit });
      global.gc?.();
      const base = process.memoryUsage();
      let peakRss = base.rss;
      let peakHeap = base.heapUsed;
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        peakRss = Math.max(peakRss, m.rss);
        peakHeap = Math.max(peakHeap, m.heapUsed);
      }, 50);
      const started = performance.now();
      const summary = await importer.run({ file, restart: true, batchSize: BATCH, actor: { type: 'system' } });
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      rows.push({
        scenario: withHashes ? 'with password hashes' : 'without password hashes', lines: LINES, created: summary.created, failed: summary.failed,
        'users/s': Math.round(summary.created / seconds), seconds: Math.round(seconds * 10) / 10,
        'peak RSS MB': mb(peakRss), 'RSS growth MB': mb(peakRss - base.rss), 'peak heap MB': mb(peakHeap), 'heap growth MB': mb(peakHeap - base.heapUsed),
      });
      await c.auditTrail.stop();
      await c.caches.close();
      await c.connection.close();
    }
  } finally {
    await replSet?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.table(rows);
  process.stdout.write(`${JSON.stringify({ bench: 'import', batch: BATCH, rows })}\n`);
}

await main();
