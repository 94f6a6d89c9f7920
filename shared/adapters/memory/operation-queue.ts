/**
 * The operation queue in memory, with Azure Storage queue semantics as Azurite shows them:
 * at-least-once delivery, a received message hidden until its visibility timeout passes (on the
 * clock given, the system clock by default), a dequeue count per receive, a new pop receipt per
 * receive, and the Storage adapter's forgiving delete.
 */
import { randomUUID } from 'node:crypto';
import type { AsyncOperation } from '../../core/domain/operation';
import { Clock, systemClock } from '../../core/ports/clock';
import type { OperationQueue, ReceivedMessage } from '../../core/ports/operation-queue';

/** Storage's limits: a message of at most 64 KiB (UTF-8), 1-32 messages per receive, a timeout of 1 s to 7 days. */
const MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_PER_RECEIVE = 32;
const MAX_VISIBILITY_SECONDS = 7 * 24 * 3600;

interface StoredMessage {
  messageId: string;
  messageText: string;
  popReceipt: string;
  dequeueCount: number;
  /** Epoch ms from which receivers see it. */
  visibleAt: number;
  /** Insertion order, the tie-break among messages visible from the same moment. */
  seq: number;
}

/** One Storage queue: what both the operation queue and its poison queue are. */
export class MemoryQueue {
  private readonly messages = new Map<string, StoredMessage>();
  private seq = 0;

  constructor(
    readonly name: string,
    private readonly clock: Clock = systemClock,
  ) {}

  send(messageText: string): void {
    if (Buffer.byteLength(messageText, 'utf8') > MAX_MESSAGE_BYTES)
      throw new Error(`queue ${this.name}: the message is over ${MAX_MESSAGE_BYTES} bytes (RequestBodyTooLarge)`);
    const messageId = randomUUID();
    this.messages.set(messageId, { messageId, messageText, popReceipt: randomUUID(), dequeueCount: 0, visibleAt: this.now(), seq: this.seq++ });
  }

  /** Azurite's order: the earliest visible first, then the first sent. */
  receive(maxMessages: number, visibilityTimeoutSeconds: number): ReceivedMessage[] {
    outOfRange('number of messages', maxMessages, 1, MAX_PER_RECEIVE);
    outOfRange('visibility timeout', visibilityTimeoutSeconds, 1, MAX_VISIBILITY_SECONDS);
    const now = this.now();
    const visible = [...this.messages.values()].filter((m) => m.visibleAt <= now).sort((a, b) => a.visibleAt - b.visibleAt || a.seq - b.seq);
    return visible.slice(0, maxMessages).map((m) => {
      m.visibleAt = now + visibilityTimeoutSeconds * 1000;
      m.dequeueCount++;
      m.popReceipt = randomUUID();
      return { messageId: m.messageId, popReceipt: m.popReceipt, dequeueCount: m.dequeueCount, messageText: m.messageText };
    });
  }

  /** Deletes the message if the pop receipt is its current one; says whether it did. */
  delete(messageId: string, popReceipt: string): boolean {
    if (this.messages.get(messageId)?.popReceipt !== popReceipt) return false;
    return this.messages.delete(messageId);
  }

  /** Every message, visible or not: what Storage's approximate count counts. */
  get depth(): number {
    return this.messages.size;
  }

  /** The texts of every message, in the order sent (for tests: a peek that changes nothing). */
  texts(): string[] {
    return [...this.messages.values()].sort((a, b) => a.seq - b.seq).map((m) => m.messageText);
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

export class MemoryOperationQueue implements OperationQueue {
  readonly queue: MemoryQueue;
  readonly poison: MemoryQueue;

  constructor(name = 'async-customer-operations', clock: Clock = systemClock) {
    this.queue = new MemoryQueue(name, clock);
    this.poison = new MemoryQueue(`${name}-poison`, clock);
  }

  get name(): string {
    return this.queue.name;
  }

  async send(operation: AsyncOperation): Promise<void> {
    // Base64 JSON, as the Storage adapter sends it.
    this.queue.send(Buffer.from(JSON.stringify(operation), 'utf8').toString('base64'));
  }

  async receive(maxMessages: number, visibilityTimeoutSeconds: number): Promise<ReceivedMessage[]> {
    return this.queue.receive(Math.min(MAX_PER_RECEIVE, maxMessages), visibilityTimeoutSeconds);
  }

  /** A message already deleted, or received again since (a stale pop receipt), is not an error. */
  async delete(message: ReceivedMessage): Promise<void> {
    this.queue.delete(message.messageId, message.popReceipt);
  }

  async setAside(message: ReceivedMessage): Promise<void> {
    this.poison.send(message.messageText);
  }

  async approximateDepth(): Promise<{ queued: number; poisoned: number }> {
    return { queued: this.queue.depth, poisoned: this.poison.depth };
  }
}

function outOfRange(what: string, value: number, min: number, max: number): void {
  if (!(value >= min && value <= max)) throw new RangeError(`${what} ${value} is out of range ${min}-${max} (OutOfRangeQueryParameterValue)`);
}
