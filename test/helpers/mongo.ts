import { randomBytes } from 'node:crypto';

/** A fresh database name on the shared test mongod, so test files never see each other's data. */
export function testMongoUri(label: string): string {
  const base = process.env.TEST_MONGODB_URI;
  if (!base) throw new Error('TEST_MONGODB_URI is not set: run the tests through jest (global setup starts mongod)');
  const url = new URL(base);
  const name = `${label.replace(/[^a-z0-9]/gi, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  url.pathname = `/${name}`;
  // Dropped when this test file ends (test/helpers/mongo-environment.js).
  const registry = globalThis as { __TEST_DATABASES__?: string[] };
  (registry.__TEST_DATABASES__ ??= []).push(name);
  return url.toString();
}
