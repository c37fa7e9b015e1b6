// IPC between the load generator (bench/run.ts) and a measured IdP process (bench/idp-process.ts or
// bench/bare-process.ts). The child is measured from the inside: process.cpuUsage() covers every thread of the
// process (libuv pool included, where argon2 runs), and the MongoDB driver's command monitoring counts round trips.

export interface Snapshot {
  /** process.cpuUsage() of the IdP process, microseconds. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /**
   * process.threadCpuUsage() (user + system) of the main JavaScript thread alone, microseconds: the process's CPU
   * minus the libuv pool (argon2), the GC helper threads and the compiler threads.
   */
  cpuMainThreadUs: number;
  /** MongoDB commands started by the IdP's driver so far (0 for the bare engine: it has no database). */
  mongoCommands: number;
  /** The same, by command name (find, update, ...) and by "name collection" (find oidc_client, ...). */
  mongoByCommand: Record<string, number>;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface Argon2Run {
  cpuMsPerVerify: number;
  cpuUserMsPerVerify: number;
  cpuSystemMsPerVerify: number;
  wallMsPerVerify: number;
}

export interface Argon2Measure {
  iterations: number;
  parameters: string;
  /** One verify after another. */
  sequential: Argon2Run;
  /** `concurrency` verifies at a time, as during the login scenario. */
  concurrent: Argon2Run & { concurrency: number };
}

/** ours: the IdP (src/); bare: node-oidc-provider alone, in memory; bare-mongo: the same on our MongoDB adapter. */
export type EngineName = 'ours' | 'bare' | 'bare-mongo';

export interface ReadyInfo {
  engine: EngineName;
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** Form values that get through the login page (ours: email + password; bare: the dev interaction). */
  loginValues: Record<string, string>;
  versions: Record<string, string>;
}

export type Request =
  | { id: number; type: 'snapshot' }
  | { id: number; type: 'argon2'; iterations: number; concurrency: number }
  /** V8 sampling profiler of the child around one measured window; `stop` writes the .cpuprofile to `file`. */
  | { id: number; type: 'profile-start' }
  | { id: number; type: 'profile-stop'; file: string };

export type Reply =
  | { type: 'ready'; info: ReadyInfo }
  | { type: 'fatal'; message: string }
  | { id: number; type: 'result'; value: unknown }
  | { id: number; type: 'error'; message: string };

export const REDIRECT_URI = 'http://127.0.0.1:9/cb';
