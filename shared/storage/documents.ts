/** Helpers for Cosmos documents and the HTTP status codes Cosmos reports on errors. */
/** Cosmos answers with HTTP status codes on its errors; these name the ones the adapters act on. */
export function cosmosStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isConflict = (error: unknown) => cosmosStatus(error) === 409;
export const isNotFound = (error: unknown) => cosmosStatus(error) === 404;
export const isPreconditionFailed = (error: unknown) => cosmosStatus(error) === 412;

/** Cosmos system properties (_etag, _ts...) are storage detail, not part of the record. */
export function stripSystem<T extends object>(doc: T): T {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) if (!key.startsWith('_')) copy[key] = value;
  return copy as T;
}
