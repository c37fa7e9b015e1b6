import type { Config } from '../config/config.schema.ts';
import type { Logger } from '../shared/logger.ts';
import { createAudit, type Audit } from '../shared/audit.ts';
import type { AuditEventModel } from './audit-event.model.ts';
import { toAuditRecord } from './audit-record.ts';
import { createAuditQueryService } from './audit-query.service.ts';
import { createAuditWriter } from './audit-writer.ts';
import { createRequestContext } from './request-context.ts';

// The audit trail: one `audit(event, fields)` for every capability, writing the log line and (unless turned off)
// the stored event with the request's IP, user agent and id; the query service reads it back.
export function createAuditModule(deps: {
  config: Config; model: AuditEventModel; logger: Logger;
  /** Sees every event too (metrics count sign-ins and MFA from here); must not throw or wait. */
  observe?: (event: string, fields: Record<string, unknown>) => void;
}) {
  const { config, model, logger } = deps;
  const requestContext = createRequestContext();
  const writer = config.audit.store
    ? createAuditWriter(model, { queueLimit: config.audit.queueLimit, batchSize: config.audit.batchSize, flushMs: config.audit.flushMs }, logger)
    : undefined;
  const store = writer
    ? (event: string, fields: Record<string, unknown>) => writer.write(toAuditRecord(event, fields, requestContext.current(), config.audit.retentionDays))
    : undefined;
  const { observe } = deps;
  const audit: Audit = createAudit(logger, observe && store ? (event, fields) => { observe(event, fields); store(event, fields); } : observe ?? store);
  return {
    audit,
    requestContext,
    query: createAuditQueryService(model),
    stats: () => writer?.stats() ?? { written: 0, dropped: 0, failedBatches: 0, queued: 0 },
    flush: async () => writer?.flush(),
    stop: async () => writer?.stop(),
  };
}

export type AuditModule = ReturnType<typeof createAuditModule>;
