import { format } from 'node:util';
import type { Connection } from 'mongoose';
import { loadConfig } from '../config/config.loader.ts';
import type { Config } from '../config/config.schema.ts';
import { connectMongo } from '../db/connection.ts';
import { findRunningEmbedded, startEmbeddedMongo } from '../db/embedded-mongo.ts';
import { createModels, type Models } from '../db/models.ts';
import type { Container } from '../container.ts';
import { createLogger, type Logger } from '../ops/logger.ts';
import { bootstrap } from '../server.ts';

// Which MongoDB a command works on: MONGODB_URI when set, otherwise the embedded one of config.dataDir, the
// running server's if it answers, else one started for this command only. So the CLI always sees the same
// store as the server, whether the server runs or not.

export interface Store {
  config: Config;
  uri: string;
  logger: Logger;
}

/**
 * Logs go to stderr, so stdout stays pure JSON, and no chattier than `warn` (the server's default `info` would
 * add audit lines) unless debug or trace is asked for explicitly, so a failure stays one line.
 */
function cliLogger(config: Config): Logger {
  const level = config.log.level;
  return createLogger(['info', 'warn'].includes(level) ? 'warn' : level, process.stderr);
}

/** Libraries (mongodb-memory-server, the engine) write to the console: on stdout that would break the JSON. */
function routeConsole(logger: Logger): void {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    console[method] = (...args: unknown[]) => logger.debug({ source: 'console' }, format(...args));
  }
}

export async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = cliLogger(config);
  routeConsole(logger);
  const uri = config.mongodb.uri ?? (await findRunningEmbedded(config.dataDir));
  if (uri) return fn({ config, uri, logger });

  const embedded = await startEmbeddedMongo(config.dataDir, config.mongodb.embeddedPort);
  try {
    return await fn({ config, uri: embedded.uri, logger });
  } finally {
    await embedded.stop();
  }
}

/** The full container (schema ensured, signing keys present), closed afterwards so the process can exit. */
export async function withContainer<T>(store: Store, fn: (container: Container) => Promise<T>): Promise<T> {
  const container = await bootstrap(store.config, store.uri, store.logger);
  try {
    return await fn(container);
  } finally {
    container.mailer.close();
    await container.caches.close();
    await container.connection.close();
  }
}

/** A bare connection, for `db migrate`: bootstrap would already migrate and leave nothing to report. */
export async function withConnection<T>(store: Store, fn: (connection: Connection, models: Models) => Promise<T>): Promise<T> {
  const connection = await connectMongo(store.uri, { serverSelectionTimeoutMS: store.config.mongodb.serverSelectionTimeoutMS });
  try {
    return await fn(connection, createModels(connection));
  } finally {
    await connection.close();
  }
}
