import type { Versioned } from './errors';

/** A number sequence's state: the next number nobody has reserved. */
export interface SequenceState {
  id: string;
  next: number;
}

/** HQ's number sequences (hq database), written with optimistic concurrency. */
export interface NumberSequences {
  read(sequenceId: string): Promise<Versioned<SequenceState> | undefined>;
  /** Throws AlreadyExistsError when another process created it first. */
  create(state: SequenceState): Promise<void>;
  /** Throws StaleVersionError when another process reserved since `etag`. */
  replace(state: SequenceState, etag: string): Promise<void>;
}
