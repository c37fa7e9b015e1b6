import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/config.loader.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { testMongoUri } from './mongo.ts';

export const TEST_SECRETS = {
  cookieKeys: ['test-cookie-key-0123456789abcdef0123456789'],
  keyEncryptionKey: 'test-key-encryption-key-0123456789abcdef',
};

export interface TestApp extends RunningServer {
  issuer: string;
  mongoUri: string;
  port: number;
}

/**
 * The real app on 127.0.0.1 and a free port, with a real MongoDB database of its own. Pass `mongoUri` and `port`
 * to restart against the same database (and issuer).
 */
export async function startTestApp(options: {
  label?: string; mongoUri?: string; port?: number; overrides?: Record<string, unknown>; logLevel?: string;
  /** Where the app's JSON log lines go (default: stdout, silent unless TEST_LOG_LEVEL is set). */
  logStream?: NodeJS.WritableStream;
} = {}): Promise<TestApp> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const mongoUri = options.mongoUri ?? testMongoUri(options.label ?? 'app');
  const config = loadConfig({
    env: { NODE_ENV: 'test' },
    overrides: {
      port, issuer, host: '127.0.0.1',
      dataDir: mkdtempSync(path.join(tmpdir(), 'idp-test-')),
      secrets: TEST_SECRETS,
      log: { level: options.logLevel ?? process.env.TEST_LOG_LEVEL ?? 'silent' },
      ...options.overrides,
    },
  });
  const running = await startServer(config, { mongoUri, logger: createLogger(config.log.level, options.logStream), server });
  return { ...running, issuer, mongoUri, port };
}
