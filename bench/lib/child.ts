import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import type { Argon2Measure, ReadyInfo, Reply, Request, Snapshot } from './protocol.ts';

// The child side of the IPC protocol: answers snapshot / argon2 requests, and exits when the parent goes away.

export interface ChildHooks {
  mongoCommands(): { total: number; byCommand: Record<string, number> };
  argon2?(iterations: number, concurrency: number): Promise<Argon2Measure>;
  stop(): Promise<void>;
}

function send(message: Reply): void {
  process.send?.(message);
}

export function snapshot(hooks: ChildHooks): Snapshot {
  const cpu = process.cpuUsage();
  const thread = process.threadCpuUsage();
  const memory = process.memoryUsage();
  const mongo = hooks.mongoCommands();
  return {
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    cpuMainThreadUs: thread.user + thread.system,
    mongoCommands: mongo.total,
    mongoByCommand: { ...mongo.byCommand },
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
  };
}

const PROFILE_INTERVAL_US = 250;

export function serveParent(info: ReadyInfo, hooks: ChildHooks): void {
  let stopping = false;
  let profiler: Session | undefined;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(code), 5000);
    force.unref();
    await hooks.stop().catch(() => undefined);
    process.exit(code);
  };

  process.on('message', (raw) => {
    const message = raw as Request;
    void (async () => {
      try {
        if (message.type === 'snapshot') {
          send({ id: message.id, type: 'result', value: snapshot(hooks) });
        } else if (message.type === 'argon2') {
          if (!hooks.argon2) throw new Error('argon2 measurement not available in this process');
          send({ id: message.id, type: 'result', value: await hooks.argon2(message.iterations, message.concurrency) });
        } else if (message.type === 'profile-start') {
          profiler = new Session();
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
          await profiler.post('Profiler.start');
          send({ id: message.id, type: 'result', value: true });
        } else if (message.type === 'profile-stop') {
          if (!profiler) throw new Error('profiler not started');
          const { profile } = await profiler.post('Profiler.stop');
          profiler.disconnect();
          profiler = undefined;
          writeFileSync(message.file, JSON.stringify(profile));
          send({ id: message.id, type: 'result', value: message.file });
        }
      } catch (error) {
        send({ id: (message as { id: number }).id, type: 'error', message: (error as Error).stack ?? String(error) });
      }
    })();
  });
  process.on('disconnect', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  send({ type: 'ready', info });
}

export function failStartup(error: unknown): never {
  send({ type: 'fatal', message: (error as Error).stack ?? String(error) });
  process.exit(1);
}

/**
 * Counts the MongoDB commands the process sends, by command name and by "name collection" (e.g. "find oidc_client").
 *
 * Not through the driver's command monitoring: with `monitorCommands: true` the driver builds a started and a
 * succeeded event for every command, and the succeeded event fully deserializes each reply (`toObject()`), even the
 * cursor replies it otherwise reads lazily: that costs the measured process real CPU. Instead the (internal)
 * Connection#command of the driver that mongoose uses is wrapped: one counter increment per command, and the
 * server monitoring's own hello/ping round trips are left out. `selfCheck` compares it with command monitoring.
 */
export function countDriverCommands() {
  const byCommand: Record<string, number> = {};
  let total = 0;
  const fromMongoose = createRequire(createRequire(import.meta.url).resolve('mongoose'));
  const { Connection } = fromMongoose('mongodb/lib/cmap/connection.js') as {
    Connection: { prototype: { command(ns: unknown, command: Record<string, unknown>, ...rest: unknown[]): unknown } };
  };
  const MONITORING = new Set(['hello', 'ismaster', 'isMaster', 'ping']);
  const original = Connection.prototype.command;
  if ((original as { benchWrapped?: boolean }).benchWrapped) throw new Error('driver already wrapped');
  const wrapped = function (this: unknown, ns: unknown, command: Record<string, unknown>, ...rest: unknown[]) {
    const name = Object.keys(command)[0] ?? '?';
    if (!MONITORING.has(name)) {
      total += 1;
      byCommand[name] = (byCommand[name] ?? 0) + 1;
      const collection = command[name];
      if (typeof collection === 'string') {
        const key = `${name} ${collection}`;
        byCommand[key] = (byCommand[key] ?? 0) + 1;
      }
    }
    return original.call(this, ns, command, ...rest);
  };
  Object.assign(wrapped, { benchWrapped: true });
  Connection.prototype.command = wrapped;
  return {
    read: () => ({ total, byCommand }),
    /**
     * Runs `work` with command monitoring on `client` as well, and fails when the two counts differ. The wrapper
     * also sees the running server's own background commands (a change stream's getMore when it wakes up), which
     * may fall inside the check: a mismatch is tried again a few times before it counts as a failure.
     */
    async selfCheck(client: { on(event: 'commandStarted', listener: (e: { commandName: string }) => void): unknown; off(event: 'commandStarted', listener: (e: { commandName: string }) => void): unknown }, work: () => Promise<unknown>) {
      let last = '';
      for (let attempt = 0; attempt < 5; attempt += 1) {
        let monitored = 0;
        const listener = (e: { commandName: string }) => {
          if (!MONITORING.has(e.commandName)) monitored += 1;
        };
        client.on('commandStarted', listener);
        const before = total;
        try {
          await work();
        } finally {
          client.off('commandStarted', listener);
        }
        if (total - before === monitored && monitored > 0) return monitored;
        last = `wrapper ${total - before}, command monitoring ${monitored}`;
      }
      throw new Error(`command count self-check failed: ${last}`);
    },
  };
}
