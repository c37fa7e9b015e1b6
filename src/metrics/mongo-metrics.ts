import { Gauge, Histogram, type Registry } from 'prom-client';
import type { mongo } from 'mongoose';
import { boundedLabel } from './bounded-label.ts';

// The MongoDB driver's own monitoring: connection pool (CMAP) events for pool size and checked-out connections,
// and command monitoring (started/succeeded/failed, with the driver's measured duration) for latency per command
// name. https://github.com/mongodb/specifications (connection-monitoring-and-pooling, command-logging-and-monitoring)

export function createMongoMetrics(registry: Registry) {
  const poolSize = new Gauge({ name: 'idp_mongodb_pool_connections', help: 'open connections in the driver pool, per server', labelNames: ['server'] as const, registers: [registry] });
  const inUse = new Gauge({ name: 'idp_mongodb_pool_checked_out', help: 'pool connections currently checked out by an operation, per server', labelNames: ['server'] as const, registers: [registry] });
  const waitFailures = new Gauge({ name: 'idp_mongodb_pool_checkout_failures', help: 'failed connection check-outs since start (pool cleared, timeout), per server', labelNames: ['server'] as const, registers: [registry] });
  const commands = new Histogram({
    name: 'idp_mongodb_command_duration_seconds', help: 'MongoDB command round trips as measured by the driver, by command and outcome',
    labelNames: ['command', 'outcome'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers: [registry],
  });
  // One series per member of the replica set and per command the code sends: both small sets, bounded anyway.
  const server = boundedLabel(16);
  const command = boundedLabel(48);

  return {
    watch(client: mongo.MongoClient): void {
      const address = (event: { address?: string }) => ({ server: server(event.address) });
      client.on('connectionCreated', (event) => poolSize.inc(address(event)));
      client.on('connectionClosed', (event) => poolSize.dec(address(event)));
      client.on('connectionCheckedOut', (event) => inUse.inc(address(event)));
      client.on('connectionCheckedIn', (event) => inUse.dec(address(event)));
      client.on('connectionCheckOutFailed', (event) => waitFailures.inc(address(event)));
      client.on('commandSucceeded', (event) => commands.observe({ command: command(event.commandName), outcome: 'ok' }, event.duration / 1000));
      client.on('commandFailed', (event) => commands.observe({ command: command(event.commandName), outcome: 'error' }, event.duration / 1000));
    },
  };
}
