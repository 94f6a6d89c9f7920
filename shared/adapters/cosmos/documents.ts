/**
 * Cosmos documents: point reads, conditional writes, and the translation of Cosmos' status codes
 * into the core's errors (409 AlreadyExistsError, 412 StaleVersionError). Nothing above the
 * adapters sees a status code.
 */
import type { Container, ItemDefinition } from '@azure/cosmos';
import { AlreadyExistsError, MissingRecordError, StaleVersionError, Versioned } from '../../core/ports/errors';

function cosmosStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

const isNotFound = (error: unknown) => cosmosStatus(error) === 404;

/** A Cosmos conflict (409), precondition failure (412) or missing document (404) as the core's error for it. */
export function translated(error: unknown, what: string): unknown {
  const status = cosmosStatus(error);
  if (status === 409) return new AlreadyExistsError(what);
  if (status === 412) return new StaleVersionError(what);
  if (status === 404) return new MissingRecordError(what);
  return error;
}

/** Cosmos system properties (_etag, _ts...) are storage detail, not part of the record. */
export function stripSystem<T extends object>(doc: T): T {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) if (!key.startsWith('_')) copy[key] = value;
  return copy as T;
}

/** A document from a query, with the ETag Cosmos returns in its `_etag`. */
export function versionedOf<T extends object>(found: T): Versioned<T> {
  return { doc: stripSystem(found), etag: (found as { _etag?: string })._etag ?? '' };
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

/**
 * Before its first create in a container, the SDK reads the container's definition (for the
 * partition key paths) and caches it per client, but concurrent first creates each send that
 * read: a fresh process whose first batch creates 128 documents at once sent about 160 container
 * reads. One read per container, shared by everyone waiting for it (`read()` fills the SDK's
 * cache), and a failed one is tried again by the next create.
 */
const definitionRead = new WeakMap<Container, Promise<unknown>>();

function knowPartitionKey(container: Container): Promise<unknown> {
  let pending = definitionRead.get(container);
  if (!pending) {
    pending = container.read().catch((error: unknown) => {
      definitionRead.delete(container);
      throw error;
    });
    definitionRead.set(container, pending);
  }
  return pending;
}

/** Creates the document; `false` when one with the same id is already there (Cosmos' unique id is the guard). */
export async function createIfAbsent<T extends ItemDefinition>(container: Container, doc: T): Promise<boolean> {
  try {
    await knowPartitionKey(container);
    await container.items.create(doc);
    return true;
  } catch (error) {
    if (translated(error, 'document') instanceof AlreadyExistsError) return false;
    throw error;
  }
}

/** Creates the document; AlreadyExistsError when one with the same id is there. */
export async function create<T extends ItemDefinition>(container: Container, doc: T, what: string): Promise<T> {
  try {
    await knowPartitionKey(container);
    const { resource } = await container.items.create<T>(doc);
    return stripSystem(resource!);
  } catch (error) {
    throw translated(error, what);
  }
}

/** Replaces the document if it is still at `etag`; StaleVersionError otherwise. */
export async function replaceIfMatch<T extends ItemDefinition>(
  container: Container,
  doc: T & { id: string },
  partitionKey: string,
  etag: string,
  what: string,
): Promise<Versioned<T>> {
  try {
    const { resource, etag: next } = await container.item(doc.id, partitionKey).replace<T>(doc, { accessCondition: { type: 'IfMatch', condition: etag } });
    return { doc: stripSystem(resource!), etag: next };
  } catch (error) {
    throw translated(error, what);
  }
}
