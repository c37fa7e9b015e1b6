import type { Logger } from './logger.ts';

// Security-relevant events as structured log lines: `{ audit: true, event: 'login.failed', ... }`. Event names
// are dotted noun.verb like the engine's own. Never pass secrets: the logger redacts known paths as a backstop.
export type Audit = (event: string, fields?: Record<string, unknown>) => void;

export const createAudit = (logger: Logger): Audit => (event, fields = {}) => {
  logger.info({ audit: true, event, ...fields }, event);
};
