import { userInfo } from 'node:os';
import { format } from 'node:util';
import type { Connection } from 'mongoose';
import { loadConfig } from '../config/config.loader.ts';
import type { Config } from '../config/config.schema.ts';
import { connectMongo } from '../db/connection.ts';
import { findRunningEmbedded, startEmbeddedMongo } from '../db/embedded-mongo.ts';
import { createModels, type Models } from '../db/models.ts';
import type { Container } from '../container.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { bootstrap } from '../server.ts';

// Which MongoDB a command works on: MONGODB_URI when set, otherwise the embedded one of config.dataDir, the
// running server's if it answers, else one started for this command only. So the CLI always sees the same
// store as the server, whether the server runs or not.

export interface Store {
  config: Config;
  uri: string;
  logger: Logger;
  /** The command being run (`clients add`), named in its audit event. */
  command?: string;
}

/** Operator commands are audit events (`admin.command.succeeded|failed`); listing is not. */
function auditCommand(container: Container, command: string | undefined, error?: unknown): void {
  if (!command || command.endsWith(' list')) return;
  const actor = { type: 'cli' as const, id: operatorName() };
  if (error === undefined) container.audit('admin.command.succeeded', { command, actor });
  else container.audit('admin.command.failed', { command, actor, reason: String((error as { code?: string }).code ?? (error as Error).message ?? error).slice(0, 200) });
}

/** The operating-system user running the command, named as the actor of what it changes. */
export function operatorName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
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
  // The server registers our own clients for its issuer; a command must not rewrite them from its own environment.
  const container = await bootstrap(store.config, store.uri, store.logger, { registerInternalClients: false });
  try {
    const result = await fn(container);
    auditCommand(container, store.command);
    return result;
  } catch (error) {
    auditCommand(container, store.command, error);
    throw error;
  } finally {
    await container.mailQueue.stop();
    container.mailer.close();
    await container.auditTrail.stop();
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
