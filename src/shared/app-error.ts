// One error type for everything we raise on purpose. `code` is dotted (`account.email_taken`) and doubles as
// the i18n key of the message shown to people; `expose` says whether that message may reach the client.
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly field: string | undefined;

  constructor(code: string, status = 400, options: { expose?: boolean; field?: string; cause?: unknown } = {}) {
    super(code, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    // 5xx details stay private, except 503: "temporarily unavailable" is what people need to know.
    this.expose = options.expose ?? (status < 500 || status === 503);
    this.field = options.field;
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
