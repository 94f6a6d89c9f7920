import type { QueueClient } from '@azure/storage-queue';
import type { AsyncOperation } from '../../core/domain/operation';
import type { OperationQueue, ReceivedMessage } from '../../core/ports/operation-queue';

/**
 * The channel's queue of async operations. Messages are base64 JSON: what a Functions queue
 * trigger reads by default and what the Storage SDK writes, so either can consume them.
 */
export class StorageOperationQueue implements OperationQueue {
  constructor(
    private readonly queue: QueueClient,
    private readonly poison: QueueClient,
  ) {}

  get name(): string {
    return this.queue.name;
  }

  async send(operation: AsyncOperation): Promise<void> {
    await this.queue.sendMessage(encodeMessage(operation));
  }

  async receive(maxMessages: number, visibilityTimeoutSeconds: number): Promise<ReceivedMessage[]> {
    const { receivedMessageItems } = await this.queue.receiveMessages({
      numberOfMessages: Math.min(32, maxMessages),
      visibilityTimeout: visibilityTimeoutSeconds,
    });
    return receivedMessageItems.map((m) => ({
      messageId: m.messageId,
      popReceipt: m.popReceipt,
      dequeueCount: m.dequeueCount,
      messageText: m.messageText,
    }));
  }

  /**
   * Deleting a message another run already deleted is not an error: the work is done. Nor is a
   * stale pop receipt (400 PopReceiptMismatch): the message outlived its visibility timeout and
   * another receiver holds it now; it is staged already, so that receiver finds a duplicate and
   * deletes it. Failing here would fail the whole upload for a message that is safe.
   */
  async delete(message: ReceivedMessage): Promise<void> {
    try {
      await this.queue.deleteMessage(message.messageId, message.popReceipt);
    } catch (error) {
      const { statusCode, code } = error as { statusCode?: number; code?: string };
      if (statusCode === 404 || (statusCode === 400 && code === 'PopReceiptMismatch')) return;
      throw error;
    }
  }

  async setAside(message: ReceivedMessage): Promise<void> {
    await this.poison.sendMessage(message.messageText);
  }

  async approximateDepth(): Promise<{ queued: number; poisoned: number }> {
    const [queued, poisoned] = await Promise.all([this.queue.getProperties(), this.poison.getProperties()]);
    return { queued: queued.approximateMessagesCount ?? 0, poisoned: poisoned.approximateMessagesCount ?? 0 };
  }
}

export function encodeMessage(operation: AsyncOperation): string {
  return Buffer.from(JSON.stringify(operation), 'utf8').toString('base64');
}
