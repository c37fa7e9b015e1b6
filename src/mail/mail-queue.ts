import type { Locale } from '../i18n/i18n.ts';
import type { Logger } from '../shared/logger.ts';
import type { Mailer, MailName } from './mailer.ts';

// Mails whose sending must not be seen in the response time: a page that answers "if an account exists, we sent
// a mail" answers at once, whether or not a mail (and the token in it) is made, so time tells nothing about the
// address (OWASP ASVS 5.0 V6.3.8, no enumeration by timing). Bounded, retried with exponential backoff, drained on
// a graceful stop. Failures are logged with the kind and recipient only, never the body (it holds links and codes).

export interface QueuedMail {
  name: MailName;
  to: string;
  locale: Locale;
  /** The mail's model, made in the background too (e.g. issuing the token the mail carries); made once. */
  model: () => Promise<Record<string, unknown>> | Record<string, unknown>;
}

export interface MailQueue {
  /** False when the mail was refused (queue full or stopping); the refusal is logged. */
  enqueue(mail: QueuedMail): boolean;
  /** Resolves when nothing is queued, sending or waiting for a retry. */
  idle(): Promise<void>;
  /** Stops accepting, gives waiting retries one last try now, and waits (bounded) for the queue to drain. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface MailQueueOptions {
  mailer: Pick<Mailer, 'send'>;
  logger: Logger;
  capacity?: number;
  attempts?: number;
  backoffMs?: number;
  concurrency?: number;
}

interface Job extends QueuedMail {
  attempt: number;
  made?: Record<string, unknown>;
}

export function createMailQueue(options: MailQueueOptions): MailQueue {
  const { mailer, logger, capacity = 1000, attempts = 5, backoffMs = 1000, concurrency = 2 } = options;
  const ready: Job[] = [];
  const waiting = new Map<NodeJS.Timeout, Job>();
  let active = 0;
  let stopping = false;
  let idleWaiters: Array<() => void> = [];

  const pending = () => ready.length + waiting.size + active;
  const settle = () => {
    if (pending() > 0) return;
    for (const resolve of idleWaiters) resolve();
    idleWaiters = [];
  };

  async function run(job: Job) {
    job.attempt += 1;
    try {
      job.made ??= await job.model();
      await mailer.send(job.name, job.to, job.locale, job.made);
    } catch (error) {
      const failure = { event: 'mail.failed', mail: job.name, to: job.to, attempt: job.attempt, error: describe(error) };
      if (job.attempt >= attempts || stopping) {
        logger.error({ ...failure, final: true }, 'mail.failed');
        return;
      }
      logger.warn(failure, 'mail.failed (will retry)');
      const timer = setTimeout(() => {
        waiting.delete(timer);
        ready.push(job);
        pump();
      }, backoffMs * 2 ** (job.attempt - 1));
      waiting.set(timer, job);
    }
  }

  function pump() {
    while (active < concurrency && ready.length > 0) {
      const job = ready.shift()!;
      active += 1;
      void run(job).finally(() => {
        active -= 1;
        pump();
        settle();
      });
    }
  }

  const idle = () => (pending() === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)));

  return {
    enqueue(mail) {
      if (stopping || pending() >= capacity) {
        logger.error({ event: 'mail.dropped', mail: mail.name, to: mail.to, reason: stopping ? 'stopping' : 'queue_full' }, 'mail.dropped');
        return false;
      }
      ready.push({ ...mail, attempt: 0 });
      pump();
      return true;
    },
    idle,
    async stop(timeoutMs = 10_000) {
      stopping = true;
      for (const [timer, job] of waiting) {
        clearTimeout(timer);
        ready.push(job);
      }
      waiting.clear();
      pump();
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([idle(), new Promise<void>((resolve) => { timeout = setTimeout(resolve, timeoutMs); })]);
      clearTimeout(timeout);
      const left = ready.splice(0);
      for (const job of left) logger.error({ event: 'mail.dropped', mail: job.name, to: job.to, reason: 'stopped' }, 'mail.dropped');
    },
  };
}

/** The error's message and code only: SMTP errors can quote the server, never our message body. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 200);
  const code = (error as Error & { code?: string }).code;
  return `${code ? `${code}: ` : ''}${error.message}`.slice(0, 300);
}
