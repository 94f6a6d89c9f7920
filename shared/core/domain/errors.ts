/**
 * Failures the domain reports to its callers. Each has a stable `code`; the HTTP layer maps codes
 * to problem details, so the domain stays free of HTTP.
 */
export type ErrorCode =
  | 'NotFound'
  | 'FeatureNotEnabled'
  | 'HqUnavailable'
  | 'CustomerPendingSync'
  | 'Conflict'
  | 'PreconditionFailed'
  | 'PreconditionRequired'
  | 'OperationCompleted';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export const notFound = (what: string) => new DomainError('NotFound', `${what} was not found`);

export class HqUnavailableError extends DomainError {
  constructor(readonly retryAfterSeconds = 60) {
    super('HqUnavailable', 'HQ is unavailable (servicing); try again later', { retryAfterSeconds });
  }
}

export const isDomainError = (error: unknown, code?: ErrorCode): error is DomainError =>
  error instanceof DomainError && (code === undefined || error.code === code);
