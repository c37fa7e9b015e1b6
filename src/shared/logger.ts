import { pino, type Logger } from 'pino';

// Structured JSON logs. Anything that may carry a secret is redacted by path, whatever the caller logs.
export const REDACT_PATHS = [
  'password', '*.password', 'new_password', '*.new_password', 'code', '*.code', 'token', '*.token',
  'client_secret', '*.client_secret', 'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
  'headers.authorization', 'headers.cookie', 'privateJwk', '*.privateJwk',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined }, destination as never);
}

export type { Logger };
