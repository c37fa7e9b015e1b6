import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { loadConfig } from '../src/config/config.loader.ts';
import { createLogger } from '../src/shared/logger.ts';
import { startServer } from '../src/server.ts';
import { countDriverCommands, failStartup, serveParent } from './lib/child.ts';

// The IdP for the SAML scenario (bench/saml.ts), alone in this process so its CPU can be read exactly. Like
// idp-process.ts (production log level to /dev/null, OWASP argon2id, no key polling in the window), seeded with
// one verified user and the load generator's SP (metadata file in BENCH_SAML_SP_METADATA).

export const SAML_BENCH_USER = { email: 'saml.bench@example.test', password: 'correct horse battery staple', name: 'Bench User' };

async function main() {
  const baseUri = process.env.BENCH_MONGO_URI;
  const metadataFile = process.env.BENCH_SAML_SP_METADATA;
  if (!baseUri || !metadataFile) throw new Error('BENCH_MONGO_URI and BENCH_SAML_SP_METADATA must be set (start this through bench/saml.ts)');
  const mongoUrl = new URL(baseUri);
  mongoUrl.pathname = '/idp_bench_saml';
  const commands = countDriverCommands();

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'idp-bench-saml-'));
  const config = loadConfig({
    env: { NODE_ENV: 'test' },
    overrides: {
      port, issuer, host: '127.0.0.1', dataDir,
      secrets: { cookieKeys: ['bench-cookie-key-0123456789abcdef0123456789'], keyEncryptionKey: 'bench-key-encryption-key-0123456789abcdef' },
      log: { level: process.env.BENCH_LOG_LEVEL ?? 'info' },
      passwords: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
      keys: { pollSeconds: 3600 },
    },
  });
  const destination = pino.destination({ dest: '/dev/null', sync: false });
  const running = await startServer(config, { mongoUri: mongoUrl.toString(), logger: createLogger(config.log.level, destination as unknown as NodeJS.WritableStream), server });
  const { container } = running;
  await container.accounts.createByAdmin({ ...SAML_BENCH_USER, verified: true });
  await container.saml.sps.add(readFileSync(metadataFile, 'utf8'), { firstParty: true });

  serveParent({
    engine: 'ours', issuer, clientId: '', clientSecret: '', redirectUri: '', loginValues: { email: SAML_BENCH_USER.email, password: SAML_BENCH_USER.password },
    versions: { samlify: (JSON.parse(readFileSync(path.resolve('node_modules/samlify/package.json'), 'utf8')) as { version: string }).version },
  }, {
    mongoCommands: commands.read,
    async stop() {
      await running.stop();
      destination.flushSync?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

main().catch(failStartup);
