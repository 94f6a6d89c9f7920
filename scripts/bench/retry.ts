/**
 * Bounded retries for the bench's own calls. Under a deep backlog unpatched Azurite sometimes
 * answered 408 (it scanned its whole store per operation), and a loaded machine can still make it
 * time out; the app meets that through the orchestration's activity retry policy, and the floor
 * must survive it too or it would measure nothing.
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  options: { attempts: number; firstDelayMs: number; retryIf?: (error: unknown) => boolean; onRetry?: (error: unknown) => void },
): Promise<T> {
  const { attempts, firstDelayMs } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || (options.retryIf && !options.retryIf(error))) throw error;
      options.onRetry?.(error);
      await new Promise((r) => setTimeout(r, firstDelayMs * 2 ** (attempt - 1)));
    }
  }
}

/** A connection the server dropped as the call went out (a keep-alive socket it closed). */
const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** Transient storage answers worth another try: timeouts, throttling, server errors, a dropped connection. */
export function transient(error: unknown): boolean {
  const { statusCode, code } = error as { statusCode?: number; code?: number | string };
  if (typeof code === 'string') return NETWORK_CODES.has(code);
  const status = statusCode ?? code;
  return status === 408 || status === 429 || (typeof status === 'number' && status >= 500);
}
