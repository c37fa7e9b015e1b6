import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import type { Config } from './config/config.schema.ts';
import { connectMongo } from './db/connection.ts';
import { createModels } from './db/models.ts';
import { ensureSchema } from './db/schema.ts';
import { createContainer, type Container, type ContainerOptions } from './container.ts';
import type { Logger } from './shared/logger.ts';
import { createMetricsModule } from './metrics/metrics.module.ts';

// Connect -> create collections and indexes -> wire the container -> serve. Used by main.ts and by the tests,
// which pass a server already listening on port 0 (the issuer needs the port).

export interface RunningServer {
  server: http.Server;
  url: string;
  /** The separate metrics listener's URL (config metrics.port), when there is one. */
  metricsUrl?: string;
  container: Container;
  /** Graceful stop: no new connections, in-flight requests finish, then MongoDB is closed. */
  stop(): Promise<void>;
}

export async function bootstrap(config: Config, mongoUri: string, logger: Logger, options?: ContainerOptions): Promise<Container> {
  // Metrics are built first: the driver's pool and command events are counted from the first connection.
  const metrics = createMetricsModule(config.metrics);
  const connection = await connectMongo(mongoUri, {
    serverSelectionTimeoutMS: config.mongodb.serverSelectionTimeoutMS, monitor: metrics.enabled ? metrics.watchMongo : undefined,
  });
  const models = createModels(connection);
  await ensureSchema(connection, models);
  return createContainer(config, connection, models, logger, { ...options, metrics });
}

export async function startServer(
  config: Config,
  options: { mongoUri: string; logger: Logger; server?: http.Server },
): Promise<RunningServer> {
  const container = await bootstrap(config, options.mongoUri, options.logger);
  const app = createApp(container);
  await container.events.start();
  const server = options.server ?? http.createServer();
  server.removeAllListeners('request');
  server.on('request', app.callback());
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  // Idle keep-alive connections stay open longer than a load balancer's idle timeout (60 s is common), so the
  // balancer, not we, closes them: with Node's 5 s default a request sent on a connection the server is just
  // closing fails with a reset (seen as "fetch failed" by clients whose event loop was busy for a few seconds).
  server.keepAliveTimeout = 65_000;
  if (!server.listening) await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const { port } = server.address() as AddressInfo;
  const metricsListener = await container.metrics.listen();

  // Key rotations reach this instance through the change stream within milliseconds; the poll is the fallback for a
  // stream that is down. One reload at a time; a rotation writes several documents, so a change seen during a reload
  // runs one more after it (the last one reads the final key set).
  let reloading = false;
  let again = false;
  const reloadKeys = () => {
    if (reloading) { again = true; return; }
    reloading = true;
    container.reloadKeysIfRotated()
      .then((reloaded) => { if (reloaded) container.saml.credentials.reset(); })
      .catch((error) => options.logger.warn({ err: error }, 'keys.reload_failed'))
      .finally(() => {
        reloading = false;
        if (again) { again = false; reloadKeys(); }
      });
  };
  container.caches.onChange(container.models.SigningKey.collection.collectionName, reloadKeys);
  const poll = setInterval(reloadKeys, config.keys.pollSeconds * 1000);
  poll.unref();
  // Accounts whose "delete my account" grace period is over are erased (GDPR art. 17 "without undue delay").
  const purge = config.accounts.deletionGraceDays > 0 ? setInterval(() => {
    container.users.purgeScheduled().catch((error) => options.logger.warn({ err: error }, 'accounts.purge_failed'));
  }, 3600_000) : undefined;
  purge?.unref();

  return {
    server,
    url: `http://127.0.0.1:${port}`,
    metricsUrl: metricsListener?.url,
    container,
    async stop() {
      clearInterval(poll);
      clearInterval(purge);
      await metricsListener?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await container.events.stop();
      await container.mailQueue.stop();
      container.mailer.close();
      await container.auditTrail.stop();
      await container.caches.close();
      await container.connection.close();
    },
  };
}
