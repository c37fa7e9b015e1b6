import { fork, type ChildProcess } from 'node:child_process';
import type { Argon2Measure, ReadyInfo, Reply, Request, Snapshot } from './protocol.ts';

// The parent side of the IPC protocol: starts a measured process, waits for it to be ready, asks for
// snapshots, and always ends it (SIGTERM, then SIGKILL).

type Pending = { resolve(value: unknown): void; reject(error: Error): void };
type RequestBody = Request extends infer R ? R extends { id: number } ? Omit<R, 'id'> : never : never;

export class MeasuredProcess {
  readonly child: ChildProcess;
  info!: ReadyInfo;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited = false;
  private readonly exit: Promise<void>;

  constructor(script: string, env: Record<string, string>, execArgv: string[]) {
    this.child = fork(script, [], {
      execPath: process.execPath,
      execArgv,
      env: { ...process.env, NODE_ENV: 'production', ...env },
      // The child's output (engine warnings) goes to our stderr: stdout stays the report.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    this.exit = new Promise((resolve) => this.child.once('exit', () => {
      this.exited = true;
      for (const pending of this.pending.values()) pending.reject(new Error(`${script} exited`));
      this.pending.clear();
      resolve();
    }));
    this.child.on('message', (raw) => {
      const message = raw as Reply;
      if (!('id' in message)) return;
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (message.type === 'result') pending.resolve(message.value);
      else pending.reject(new Error(message.message));
    });
  }

  async ready(timeoutMs: number): Promise<ReadyInfo> {
    this.info = await new Promise<ReadyInfo>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`measured process not ready after ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (raw: unknown) => {
        const message = raw as Reply;
        if (message.type === 'ready') {
          clearTimeout(timer);
          this.child.off('message', onMessage);
          resolve(message.info);
        } else if (message.type === 'fatal') {
          clearTimeout(timer);
          reject(new Error(`measured process failed to start:\n${message.message}`));
        }
      };
      this.child.on('message', onMessage);
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`measured process exited during start-up (code ${code})`));
      });
    });
    return this.info;
  }

  private call<T>(body: RequestBody): Promise<T> {
    if (this.exited) return Promise.reject(new Error('measured process is gone'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ ...body, id } as Request);
    });
  }

  snapshot = () => this.call<Snapshot>({ type: 'snapshot' });
  argon2 = (iterations: number, concurrency: number) => this.call<Argon2Measure>({ type: 'argon2', iterations, concurrency });
  /** When set, each measured window is profiled and written to `${profileDir}/${engine}-${scenario}.cpuprofile`. */
  profileDir: string | undefined;
  profileStart = () => this.call<boolean>({ type: 'profile-start' });
  profileStop = (file: string) => this.call<string>({ type: 'profile-stop', file });

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 8000);
    await this.exit;
    clearTimeout(timer);
  }
}
