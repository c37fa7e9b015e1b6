import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { createPasswordHasher } from '../src/accounts/password.hasher.ts';
import { loadConfig } from '../src/config/config.loader.ts';
import { createLogger } from '../src/shared/logger.ts';
import { createMongoAdapterClass } from '../src/oidc/adapter/mongo.adapter.ts';
import { startServer } from '../src/server.ts';
import { countDriverCommands, failStartup, serveParent } from './lib/child.ts';
import { REDIRECT_URI, type Argon2Run } from './lib/protocol.ts';

// The IdP under test, alone in this process so that its CPU time can be read exactly (process.cpuUsage()).
// Started by bench/run.ts with BENCH_MONGO_URI; built through src/server.ts startServer like production.
// Round trips are counted by wrapping the driver's Connection#command (see lib/child.ts: command monitoring would
// add its own CPU cost to every command), checked once against command monitoring; src/ needs no benchmark hook.

const BENCH_USER = { email: 'bench.user@example.test', password: 'correct horse battery staple', name: 'Bench User' };

async function main() {
  const baseUri = process.env.BENCH_MONGO_URI;
  if (!baseUri) throw new Error('BENCH_MONGO_URI is not set (start this through bench/run.ts)');
  const mongoUrl = new URL(baseUri);
  mongoUrl.pathname = `/${process.env.BENCH_DB_NAME ?? 'idp_bench'}`;
  const commands = countDriverCommands();

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'idp-bench-'));
  const logLevel = process.env.BENCH_LOG_LEVEL ?? 'info';

  const config = loadConfig({
    env: { NODE_ENV: 'test' },
    overrides: {
      port, issuer, host: '127.0.0.1', dataDir,
      secrets: {
        cookieKeys: ['bench-cookie-key-0123456789abcdef0123456789'],
        keyEncryptionKey: 'bench-key-encryption-key-0123456789abcdef',
      },
      // Production level; lines go to /dev/null (asynchronously, like stdout to a log shipper).
      log: { level: logLevel },
      // OWASP argon2id parameters, the production default.
      passwords: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
      // No key-rotation polling inside a measurement window (one query per 30 s in production).
      keys: { pollSeconds: 3600 },
      // BENCH_AUDIT_STORE=false: audit events as log lines only, to measure what the stored audit trail adds.
      audit: { store: process.env.BENCH_AUDIT_STORE !== 'false' },
    },
  });
  const destination = pino.destination({ dest: '/dev/null', sync: false });
  const logger = createLogger(config.log.level, destination as unknown as NodeJS.WritableStream);
  const running = await startServer(config, { mongoUri: mongoUrl.toString(), logger, server });
  const { container } = running;

  // The counter sees what command monitoring sees (checked on a separate client with monitoring on).
  const probe = new mongoose.mongo.MongoClient(mongoUrl.toString(), { monitorCommands: true });
  await probe.connect();
  const ProbeAdapter = createMongoAdapterClass(probe.db());
  await commands.selfCheck(probe, async () => {
    const adapter = new ProbeAdapter('Interaction');
    await adapter.upsert('bench-probe', { uid: 'bench-probe-uid' }, 60);
    await adapter.find('bench-probe');
    await adapter.findByUid('bench-probe-uid');
    await adapter.consume('bench-probe');
    await adapter.destroy('bench-probe');
  });
  await probe.close();

  // Seed: one confidential first-party client (no consent page) and one verified user.
  const stored = await container.clients.add({
    client_name: 'Bench RP',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    first_party: true,
  });
  await container.accounts.createByAdmin({ ...BENCH_USER, verified: true });

  // And it sees the app's own connection (mongoose queries included); tried a few times, since a background command
  // of the server (a change stream's getMore) may fall in between.
  let seen = false;
  for (let attempt = 0; attempt < 5 && !seen; attempt += 1) {
    const before = commands.read().total;
    // The model's collection, not the repository: the repository may answer from the account cache.
    await container.models.Account.collection.findOne({ emailNormalized: BENCH_USER.email });
    seen = commands.read().total === before + 1;
  }
  if (!seen) throw new Error('the command counter does not see the app\'s commands');

  const hasher = createPasswordHasher(config.passwords);
  const storedHash = (await container.accountRepository.findByEmail(BENCH_USER.email))!.passwordHash!;
  const versions = (name: string) => (JSON.parse(readFileSync(path.resolve('node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

  serveParent({
    engine: 'ours',
    issuer,
    clientId: stored.client_id,
    clientSecret: stored.client_secret as string,
    redirectUri: REDIRECT_URI,
    loginValues: { email: BENCH_USER.email, password: BENCH_USER.password },
    versions: {
      'oidc-provider': versions('oidc-provider'),
      mongoose: versions('mongoose'),
      'mongodb (mongoose driver)': versions('mongoose/node_modules/mongodb'),
      '@node-rs/argon2': versions('@node-rs/argon2'),
    },
  }, {
    mongoCommands: commands.read,
    // The cost of one argon2id verify alone (the stored hash of the bench user, right password): one after
    // another, then `concurrency` at a time like the login scenario (the libuv pool runs them in parallel).
    async argon2(iterations, concurrency) {
      const verifyOnce = async () => {
        if (!(await hasher.verify(storedHash, BENCH_USER.password))) throw new Error('argon2 verify returned false');
      };
      const measure = async (lanes: number): Promise<Argon2Run> => {
        let left = iterations;
        const cpu = process.cpuUsage();
        const started = performance.now();
        await Promise.all(Array.from({ length: lanes }, async () => {
          while (left > 0) {
            left -= 1;
            await verifyOnce();
          }
        }));
        const wall = performance.now() - started;
        const used = process.cpuUsage(cpu);
        return {
          cpuMsPerVerify: (used.user + used.system) / 1000 / iterations,
          cpuUserMsPerVerify: used.user / 1000 / iterations,
          cpuSystemMsPerVerify: used.system / 1000 / iterations,
          wallMsPerVerify: wall / iterations,
        };
      };
      for (let i = 0; i < 3; i += 1) await verifyOnce();
      const sequential = await measure(1);
      const concurrent = { ...(await measure(concurrency)), concurrency };
      return { iterations, parameters: storedHash.split('$').slice(1, 4).join('$'), sequential, concurrent };
    },
    async stop() {
      await running.stop();
      destination.flushSync?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

main().catch(failStartup);
