/** Helpers for Cosmos documents and the HTTP status codes Cosmos reports on errors. */
import type { Container, ItemDefinition } from '@azure/cosmos';
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

/** A document with the ETag to make a conditional write against it. */
export interface Versioned<T> {
  doc: T;
  etag: string;
}

/** A point read (the cheapest Cosmos request); undefined when there is no such document. */
export async function readVersioned<T extends object>(container: Container, id: string, partitionKey: string): Promise<Versioned<T> | undefined> {
  try {
    const { resource, etag } = await container.item(id, partitionKey).read<T>();
    return resource ? { doc: stripSystem(resource), etag } : undefined;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Creates the document; `false` when one with the same id is already there (Cosmos' unique id is the guard). */
export async function createIfAbsent<T extends ItemDefinition>(container: Container, doc: T): Promise<boolean> {
  try {
    await container.items.create(doc);
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}
