import type { Logger } from './logger.ts';

// Security-relevant events as structured log lines: `{ audit: true, event: 'login.failed', ... }`, and, where an
// audit store is wired (src/audit), the same event in MongoDB. Event names are dotted noun.verb like the engine's
// own. Never pass secrets: the logger redacts known paths and the store drops secret-looking fields as a backstop.
export type Audit = (event: string, fields?: Record<string, unknown>) => void;

/** Where audit events go besides the log; must not throw or wait (see src/audit/audit-writer.ts). */
export type AuditSink = (event: string, fields: Record<string, unknown>) => void;

export const createAudit = (logger: Logger, sink?: AuditSink): Audit => (event, fields = {}) => {
  logger.info({ audit: true, event, ...fields }, event);
  if (!sink) return;
  try {
    sink(event, fields);
  } catch (error) {
    logger.warn({ event: 'audit.sink_failed', err: (error as Error).message }, 'audit.sink_failed');
  }
};
