/**
 * A container of JSON documents in memory, kept the way Cosmos keeps them: each document is
 * stored as JSON text under its partition key and id (so nothing outside shares a reference with
 * what is stored, `undefined` fields vanish and dates become strings), every write gives it a new
 * ETag, and conditional writes raise the core's errors. Documents list in insertion order, as the
 * emulator returns them to a query without ORDER BY.
 */
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, StaleVersionError, Versioned, MissingRecordError } from '../../core/ports/errors';

/** One `set` of a patch: the property path (`['operations', id]` is `/operations/{id}`) and its value. */
export type PatchSet = [path: string[], value: unknown];

interface Stored {
  json: string;
  etag: string;
}

/** A comparator on a string property, compared ordinally as Cosmos' ORDER BY does (not by locale). */
export function by<T>(key: (doc: T) => string, order: 'asc' | 'desc' = 'asc'): (a: T, b: T) => number {
  const sign = order === 'asc' ? 1 : -1;
  return (a, b) => (key(a) < key(b) ? -sign : key(a) > key(b) ? sign : 0);
}

export class MemoryContainer<T extends { id: string }> {
  private readonly docs = new Map<string, Stored>();

  /** `partitionKeyOf` mirrors the container's partition key path (`/id` unless told). */
  constructor(private readonly partitionKeyOf: (doc: T) => string = (doc) => doc.id) {}

  read(id: string, partitionKey: string = id): Versioned<T> | undefined {
    const stored = this.docs.get(key(partitionKey, id));
    return stored && versioned(stored);
  }

  /** Every document with its ETag, copied, in insertion order. */
  all(): Versioned<T>[] {
    return [...this.docs.values()].map((stored) => versioned<T>(stored));
  }

  /** The documents that match, copied, in insertion order: a query without ORDER BY. */
  where(predicate: (doc: T) => boolean = () => true): T[] {
    return this.all()
      .map((v) => v.doc)
      .filter(predicate);
  }

  /** Throws AlreadyExistsError when a document with this id is in the same partition. */
  create(doc: T, what: string): Versioned<T> {
    const k = this.keyOf(doc);
    if (this.docs.has(k)) throw new AlreadyExistsError(what);
    return this.write(k, doc);
  }

  upsert(doc: T): Versioned<T> {
    return this.write(this.keyOf(doc), doc);
  }

  /** Throws StaleVersionError when the document changed since `etag`, MissingRecordError when it is gone. */
  replace(doc: T, etag: string, what: string): Versioned<T> {
    const k = this.keyOf(doc);
    const stored = this.docs.get(k);
    if (!stored) throw new MissingRecordError(what);
    if (stored.etag !== etag) throw new StaleVersionError(what);
    return this.write(k, doc);
  }

  /** Sets the given paths without a version check, as a Cosmos patch does; MissingRecordError when it is gone. */
  patch(id: string, partitionKey: string, sets: PatchSet[], what: string): Versioned<T> {
    const k = key(partitionKey, id);
    const stored = this.docs.get(k);
    if (!stored) throw new MissingRecordError(what);
    const doc = JSON.parse(stored.json) as Record<string, unknown>;
    for (const [path, value] of sets) {
      const parent = path.slice(0, -1).reduce<Record<string, unknown>>((node, name) => {
        const child = node[name];
        if (child === null || typeof child !== 'object') throw new Error(`${what}: cannot set /${path.join('/')}, /${name} is not an object`);
        return child as Record<string, unknown>;
      }, doc);
      parent[path[path.length - 1]] = value;
    }
    return this.write(k, doc as T);
  }

  private keyOf(doc: T): string {
    return key(this.partitionKeyOf(doc), doc.id);
  }

  private write(k: string, doc: T): Versioned<T> {
    const stored = { json: JSON.stringify(doc), etag: randomUUID() };
    this.docs.set(k, stored);
    return versioned(stored);
  }
}

const key = (partitionKey: string, id: string) => JSON.stringify([partitionKey, id]);

const versioned = <T>(stored: Stored): Versioned<T> => ({ doc: JSON.parse(stored.json) as T, etag: stored.etag });
