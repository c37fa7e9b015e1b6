import { describe, expect, test } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { createMailQueue } from '../../src/mail/mail-queue.ts';
import { createLogger } from '../../src/shared/logger.ts';

// The background mail queue: retries with backoff, a bound, a drain on stop, and failures logged without bodies.

function setUp(failures: number, options: { capacity?: number; backoffMs?: number } = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => { for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l)); });
  const sent: Array<{ to: string; model: Record<string, unknown> }> = [];
  let calls = 0;
  const mailer = {
    async send(_name: string, to: string, _locale: string, model: Record<string, unknown>) {
      calls += 1;
      if (calls <= failures) throw Object.assign(new Error('451 try later'), { code: 'EENVELOPE' });
      sent.push({ to, model });
    },
  };
  const queue = createMailQueue({ mailer, logger: createLogger('info', stream), backoffMs: 5, attempts: 3, concurrency: 1, ...options });
  return { queue, sent, lines, made: { count: 0 } };
}

const mail = (to: string, made: { count: number }) => ({
  name: 'password-reset' as const, to, locale: 'en' as const,
  model: async () => { made.count += 1; return { link: 'https://id.example/password/reset?token=SECRET' }; },
});

describe('mail queue', () => {
  test('a failing send is retried with backoff; the model (and its token) is made once', async () => {
    const { queue, sent, lines, made } = setUp(2);
    expect(queue.enqueue(mail('a@example.com', made))).toBe(true);
    await queue.idle();
    expect(sent).toHaveLength(1);
    expect(made.count).toBe(1);
    expect(lines.filter((l) => l.event === 'mail.failed').map((l) => l.attempt)).toEqual([1, 2]);
    expect(JSON.stringify(lines)).not.toContain('SECRET');
  });

  test('after the last attempt the failure is logged once, final, without the body', async () => {
    const { queue, sent, lines, made } = setUp(10);
    queue.enqueue(mail('b@example.com', made));
    await queue.idle();
    expect(sent).toHaveLength(0);
    const final = lines.filter((l) => l.final === true);
    expect(final).toHaveLength(1);
    expect(final[0]).toMatchObject({ event: 'mail.failed', mail: 'password-reset', to: 'b@example.com', attempt: 3 });
    expect(JSON.stringify(lines)).not.toContain('SECRET');
  });

  test('bounded: beyond capacity a mail is refused and logged, not kept', async () => {
    const { queue, lines, made } = setUp(0, { capacity: 2 });
    expect([queue.enqueue(mail('1@example.com', made)), queue.enqueue(mail('2@example.com', made)), queue.enqueue(mail('3@example.com', made))])
      .toEqual([true, true, false]);
    expect(lines.find((l) => l.event === 'mail.dropped')).toMatchObject({ to: '3@example.com', reason: 'queue_full' });
    await queue.idle();
  });

  test('stop sends what is queued, gives a waiting retry its last try, then refuses new mails', async () => {
    const { queue, sent, lines, made } = setUp(1, { backoffMs: 60_000 });
    queue.enqueue(mail('c@example.com', made));
    queue.enqueue(mail('d@example.com', made));
    for (let i = 0; i < 100 && !lines.some((l) => l.event === 'mail.failed'); i += 1) await new Promise((r) => setTimeout(r, 10));
    // c now waits a minute for its retry; stopping does not wait that long.
    const started = Date.now();
    await queue.stop(2000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sent.map((s) => s.to).sort()).toEqual(['c@example.com', 'd@example.com']);
    expect(queue.enqueue(mail('e@example.com', made))).toBe(false);
  });
});
