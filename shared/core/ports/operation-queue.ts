import type { AsyncOperation } from '../domain/operation';

/** A message as received: at least once, invisible to other receivers until its timeout passes. */
export interface ReceivedMessage {
  messageId: string;
  popReceipt: string;
  /** How many times it has been received, this time included. */
  dequeueCount: number;
  /** The message text as queued, decoded by the upload step so it can judge poison. */
  messageText: string;
}

/** The channel's queue of async operations, and its poison queue. */
export interface OperationQueue {
  readonly name: string;
  send(operation: AsyncOperation): Promise<void>;
  receive(maxMessages: number, visibilityTimeoutSeconds: number): Promise<ReceivedMessage[]>;
  /** Deleting a message that is gone, or held by another receiver now, is not an error: its work is staged. */
  delete(message: ReceivedMessage): Promise<void>;
  /** Copies the message to the poison queue (the caller deletes it). */
  setAside(message: ReceivedMessage): Promise<void>;
  approximateDepth(): Promise<{ queued: number; poisoned: number }>;
}
