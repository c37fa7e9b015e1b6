import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { MongoMemoryReplSet } from 'mongodb-memory-server-core';
import { pino } from 'pino';
import { loadConfig } from '../src/config/config.loader.ts';
import { createLogger } from '../src/shared/logger.ts';
import { startServer } from '../src/server.ts';
import { signIn } from './lib/http.ts';
import { REDIRECT_URI } from './lib/protocol.ts';

// `node bench/trace-signin.ts`: the MongoDB commands of password sign-ins (the bench's login scenario, one after
// another), listed per HTTP request in the order they were sent, so that each round trip can be traced to the step
// that makes it. The IdP and the browser share this process: a command is labelled with the request in flight
// (background commands, such as a change stream's getMore or the audit trail's batched insert, show where they fall).
// BENCH_TRACE_SIGNINS (3): sign-ins; the first warms caches up, the last is printed in full.

const SIGNINS = Number(process.env.BENCH_TRACE_SIGNINS ?? 3);
const USER = { email: 'trace.user@example.test', password: 'correct horse battery staple', name: 'Trace User' };

function traceCommands() {
  const fromMongoose = createRequire(createRequire(import.meta.url).resolve('mongoose'));
  const { Connection } = fromMongoose('mongodb/lib/cmap/connection.js') as {
    Connection: { prototype: { command(ns: unknown, command: Record<string, unknown>, ...rest: unknown[]): unknown } };
  };
  const original = Connection.prototype.command;
  const log: Array<{ step: string; command: string }> = [];
  let step = 'start-up';
  Connection.prototype.command = function (this: unknown, ns: unknown, command: Record<string, unknown>, ...rest: unknown[]) {
    const name = Object.keys(command)[0] ?? '?';
    if (!['hello', 'ismaster', 'isMaster', 'ping'].includes(name)) {
      const target = typeof command[name] === 'string' ? ` ${command[name] as string}` : '';
      log.push({ step, command: `${name}${target}` });
    }
    return original.call(this, ns, command, ...rest);
  };
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    step = `${init?.method ?? 'GET'} ${url.pathname.replace(/\/interaction\/[^/]+/, '/interaction/:uid').replace(/\/auth\/[^/]+/, '/auth/:uid')}`;
    return realFetch(input, init);
  };
  return { log, mark: (label: string) => { step = label; } };
}

async function main() {
  const trace = traceCommands();
  const replSet = await MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger', ip: '127.0.0.1' }, instanceOpts: [{ launchTimeout: 60_000 }] });
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'idp-trace-'));
  const config = loadConfig({
    env: { NODE_ENV: 'test' },
    overrides: {
      port, issuer: `http://127.0.0.1:${port}`, host: '127.0.0.1', dataDir,
      secrets: { cookieKeys: ['bench-cookie-key-0123456789abcdef0123456789'], keyEncryptionKey: 'bench-key-encryption-key-0123456789abcdef' },
      log: { level: 'info' }, passwords: { memoryCost: 19456, timeCost: 2, parallelism: 1 }, keys: { pollSeconds: 3600 },
    },
  });
  const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: false }) as unknown as NodeJS.WritableStream);
  const uri = new URL(replSet.getUri());
  uri.pathname = '/idp_trace';
  const running = await startServer(config, { mongoUri: uri.toString(), logger, server });
  try {
    const client = await running.container.clients.add({
      client_name: 'Trace RP', redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', first_party: true,
    });
    await running.container.accounts.createByAdmin({ ...USER, verified: true });
    const info = {
      engine: 'ours' as const, issuer: running.url, clientId: client.client_id, clientSecret: client.client_secret as string,
      redirectUri: REDIRECT_URI, loginValues: { email: USER.email, password: USER.password }, versions: {},
    };
    // Let the change stream become live (caches are used only then).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (let i = 1; i <= SIGNINS; i += 1) {
      trace.mark('between');
      const from = trace.log.length;
      await signIn(info, 'openid email profile');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const mine = trace.log.slice(from);
      const steps = new Map<string, string[]>();
      for (const entry of mine) steps.set(entry.step, [...(steps.get(entry.step) ?? []), entry.command]);
      console.log(`\n== sign-in ${i}: ${mine.length} commands`);
      for (const [step, commands] of steps) console.log(`  ${step} (${commands.length}): ${commands.join(', ')}`);
    }
  } finally {
    await running.stop();
    await replSet.stop({ doCleanup: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
