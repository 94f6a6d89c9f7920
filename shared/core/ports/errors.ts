/**
 * What a store reports when a conditional write loses: the adapters raise these for their
 * technology's codes (Cosmos 409 and 412), so the use cases never compare a status code.
 */
export class AlreadyExistsError extends Error {
  constructor(what: string) {
    super(`${what} already exists`);
    this.name = 'AlreadyExistsError';
  }
}

/** The record changed since it was read (its version no longer matches). */
export class StaleVersionError extends Error {
  constructor(what: string) {
    super(`${what} changed since it was read`);
    this.name = 'StaleVersionError';
  }
}

/** The record to patch is not there (a customer the channel lost, e.g. local data wiped by hand). */
export class MissingRecordError extends Error {
  constructor(what: string) {
    super(`${what} is not there`);
    this.name = 'MissingRecordError';
  }
}

/** A lost race on a conditional write: somebody else wrote first. */
export const isWriteConflict = (error: unknown): boolean => error instanceof AlreadyExistsError || error instanceof StaleVersionError;

/** A record with the version to make a conditional write against it. */
export interface Versioned<T> {
  doc: T;
  /** Opaque to the core: compared for equality only. */
  etag: string;
}
