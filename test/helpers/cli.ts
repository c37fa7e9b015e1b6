import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Runs the real `idp` binary in a child process, as an operator would.
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'idp.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runIdp(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 80_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * The environment of an operator's shell for the store of a running test app: its MongoDB and issuer, the test
 * secrets, a fresh data directory, and nothing else inherited that could change which store the CLI uses.
 */
export function cliEnvFor(app: { mongoUri: string; issuer: string }, secrets: { cookieKeys: string[]; keyEncryptionKey: string }): Record<string, string> {
  const inherited = Object.entries(process.env).filter(([name]) => name === 'PATH' || name === 'HOME' || name.startsWith('MONGOMS_') || name === 'MONGOD_WINE_BIN');
  return {
    ...Object.fromEntries(inherited) as Record<string, string>,
    NODE_ENV: 'test', MONGODB_URI: app.mongoUri, ISSUER: app.issuer,
    IDP_SECRETS_COOKIE_KEYS: JSON.stringify(secrets.cookieKeys), IDP_SECRETS_KEY_ENCRYPTION_KEY: secrets.keyEncryptionKey,
    IDP_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'idp-cli-')),
  };
}
