import { ConfigError, loadConfig } from './config/config.loader.ts';
import { findRunningEmbedded, startEmbeddedMongo, type EmbeddedMongo } from './db/embedded-mongo.ts';
import { createLogger } from './shared/logger.ts';
import { startServer } from './server.ts';

// npm start: load config -> MongoDB (MONGODB_URI, or the embedded one) -> serve -> stop gracefully on a signal.
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.log.level);
  let embedded: EmbeddedMongo | undefined;
  let mongoUri = config.mongodb.uri;
  if (!mongoUri) {
    if (await findRunningEmbedded(config.dataDir)) {
      throw new Error(`another process already runs the embedded MongoDB of ${config.dataDir}; stop it or set MONGODB_URI`);
    }
    logger.info({ dataDir: config.dataDir }, 'starting the embedded MongoDB (MONGODB_URI is unset)');
    embedded = await startEmbeddedMongo(config.dataDir, config.mongodb.embeddedPort);
    mongoUri = embedded.uri;
  }
  if (!config.mail.smtpUrl && config.nodeEnv === 'production') logger.warn('SMTP_URL is unset (mail.allowLogOnly): mails are logged by kind and recipient, never delivered');

  const running = await startServer(config, { mongoUri, logger });
  logger.info({ issuer: config.issuer, port: running.server.address() }, `identity provider ready at ${config.issuer}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await running.stop();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
