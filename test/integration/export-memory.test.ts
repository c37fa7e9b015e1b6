import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// 100k accounts exported as CSV through the streamed export: every row arrives and the heap stays flat (a cursor
// and back-pressure, not an array of 100k documents).

const ACCOUNTS = 100_000;

// What the export keeps alive, not the garbage it leaves for later: the heap is measured after a full collection.
// (jest runs without --expose-gc; the flag set at run time gives a fresh context its gc function.)
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const retainedHeap = () => { collect(); return process.memoryUsage().heapUsed; };

describe('user export at scale', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ label: 'export_scale', overrides: { export: { settleSeconds: 0 }, events: { enabled: false } } });
    const accounts = app.container.models.Account.collection;
    const at = new Date(Date.now() - 2 * ACCOUNTS); // updatedAt one millisecond apart, all in the past
    for (let start = 0; start < ACCOUNTS; start += 5000) {
      await accounts.insertMany(Array.from({ length: 5000 }, (_, k) => {
        const i = start + k;
        return {
          _id: `acc-${String(i).padStart(6, '0')}`, email: `user${i}@example.jp`, emailNormalized: `user${i}@example.jp`, emailVerified: true,
          status: 'active', profile: { name: `山田 太郎 ${i}`, given_name: '太郎', family_name: '山田', address: { locality: '千代田区, 東京' } },
          createdAt: at, updatedAt: new Date(at.getTime() + i),
        } as never;
      }));
    }
  }, 300_000);
  afterAll(async () => { await app?.stop(); });

  test(`${ACCOUNTS} accounts stream with flat memory`, async () => {
    const baseline = retainedHeap();
    let peak = baseline;
    let bytes = 0;
    let lines = 0;
    let chunks = 0;
    const run = await app.container.exports.users({ format: 'csv' });
    for await (const chunk of run.stream) {
      const text = Buffer.from(chunk).toString('utf8');
      bytes += Buffer.byteLength(text);
      for (let i = text.indexOf('\r\n'); i !== -1; i = text.indexOf('\r\n', i + 2)) lines += 1;
      // Sampled mid-stream (a full collection per chunk would dominate the run).
      if (++chunks % 50 === 0) peak = Math.max(peak, retainedHeap());
    }
    expect(chunks).toBeGreaterThan(400); // streamed in pieces, so the samples above saw the middle of the run
    expect(run.count()).toBe(ACCOUNTS);
    expect(lines).toBe(ACCOUNTS + 1); // the header, then one record per account (no field holds a line break here)
    const growthMb = (peak - baseline) / 2 ** 20;
    process.stdout.write(`export: ${ACCOUNTS} rows, ${(bytes / 2 ** 20).toFixed(1)} MB of CSV, retained heap growth at most ${growthMb.toFixed(1)} MB\n`);
    expect(bytes).toBeGreaterThan(15 * 2 ** 20);
    // Holding the documents would keep far more than the CSV itself alive (every document is ~1 KB on the heap).
    expect(growthMb).toBeLessThan(16);
  }, 300_000);
});
