/**
 * The OperationQueue contract on memory (on a manual clock) and on Azurite (with real waiting):
 * at-least-once delivery, visibility timeouts, dequeue counts, the forgiving delete, the poison
 * queue and Storage's limits.
 */
import { ManualClock, MemoryOperationQueue } from '../../shared/adapters/memory';
import type { OperationQueue } from '../../shared/core/ports/operation-queue';
import { asyncOperation } from './records';
import { useStorageQueues } from './real-adapters';

interface QueueUnderTest {
  queue: OperationQueue;
  /** Lets this much time pass for the queue's visibility timeouts. */
  elapse(seconds: number): Promise<void>;
  /** The texts on the poison queue, without receiving them. */
  poisonTexts(): Promise<string[]>;
}

const decoded = (messageText: string): unknown => JSON.parse(Buffer.from(messageText, 'base64').toString('utf8'));

export function operationQueueContract(make: () => Promise<QueueUnderTest>): void {
  let queue: OperationQueue;
  let elapse: QueueUnderTest['elapse'];
  let poisonTexts: QueueUnderTest['poisonTexts'];
  beforeEach(async () => {
    ({ queue, elapse, poisonTexts } = await make());
  });

  test('a sent operation is received as base64 JSON with dequeueCount 1, then hidden for its visibility timeout (still counted)', async () => {
    const operation = asyncOperation();
    await queue.send(operation);
    const [message, ...more] = await queue.receive(32, 30);
    expect(more).toEqual([]);
    expect(message).toEqual({ messageId: expect.any(String), popReceipt: expect.any(String), dequeueCount: 1, messageText: expect.any(String) });
    expect(decoded(message.messageText)).toEqual(operation);
    expect(await queue.receive(32, 30)).toEqual([]);
    expect(await queue.approximateDepth()).toEqual({ queued: 1, poisoned: 0 });
  });

  test('at least once: a message received but not deleted stays hidden for its whole visibility timeout, then comes back with dequeueCount 2 and a new pop receipt', async () => {
    await queue.send(asyncOperation());
    // 3 s, checked after 1 s: a margin for a loaded machine between the two receives.
    const [first] = await queue.receive(32, 3);
    await elapse(1);
    expect(await queue.receive(32, 30)).toEqual([]);
    await elapse(2);
    const [again, ...more] = await queue.receive(32, 30);
    expect(more).toEqual([]);
    expect(again).toMatchObject({ messageId: first.messageId, dequeueCount: 2, messageText: first.messageText });
    expect(again.popReceipt).not.toBe(first.popReceipt);
  });

  test('delete with the current pop receipt removes the message; deleting it again is not an error', async () => {
    await queue.send(asyncOperation());
    const [message] = await queue.receive(32, 30);
    await queue.delete(message);
    expect(await queue.approximateDepth()).toEqual({ queued: 0, poisoned: 0 });
    await expect(queue.delete(message)).resolves.toBeUndefined();
  });

  test('delete with a stale pop receipt (the message was received again) is not an error and leaves the message', async () => {
    await queue.send(asyncOperation());
    const [first] = await queue.receive(32, 1);
    await elapse(1);
    const [second] = await queue.receive(32, 30);
    await expect(queue.delete(first)).resolves.toBeUndefined();
    expect(await queue.approximateDepth()).toEqual({ queued: 1, poisoned: 0 });
    await queue.delete(second);
    expect(await queue.approximateDepth()).toEqual({ queued: 0, poisoned: 0 });
  });

  test('receive takes at most 32 messages at a time, each once', async () => {
    await Promise.all(Array.from({ length: 34 }, () => queue.send(asyncOperation())));
    const first = await queue.receive(100, 30);
    const rest = await queue.receive(100, 30);
    expect([first.length, rest.length]).toEqual([32, 2]);
    expect(new Set([...first, ...rest].map((m) => m.messageId)).size).toBe(34);
    expect([...first, ...rest].every((m) => m.dequeueCount === 1)).toBe(true);
  });

  test('setAside copies the message text to the poison queue; the message stays until deleted', async () => {
    await queue.send(asyncOperation());
    const [message] = await queue.receive(32, 30);
    await queue.setAside(message);
    expect(await queue.approximateDepth()).toEqual({ queued: 1, poisoned: 1 });
    expect(await poisonTexts()).toEqual([message.messageText]);
    await queue.delete(message);
    expect(await queue.approximateDepth()).toEqual({ queued: 0, poisoned: 1 });
  });

  test("Storage's limits: no fewer than 1 message per receive, a timeout of 1 s to 7 days, a message of at most 64 KiB", async () => {
    await queue.send(asyncOperation());
    await expect(queue.receive(0, 1)).rejects.toThrow();
    await expect(queue.receive(1, 0)).rejects.toThrow();
    await expect(queue.receive(1, 7 * 24 * 3600 + 1)).rejects.toThrow();
    // 48,000 characters of payload are just under 64 KiB of base64; 50,000 are over.
    await expect(queue.send(asyncOperation({ payload: { note: 'x'.repeat(50_000) } }))).rejects.toThrow();
    await queue.send(asyncOperation({ payload: { note: 'x'.repeat(48_000) } }));
    expect(await queue.approximateDepth()).toEqual({ queued: 2, poisoned: 0 });
  });
}

describe('MemoryOperationQueue on a manual clock', () => {
  operationQueueContract(async () => {
    const clock = new ManualClock();
    const queue = new MemoryOperationQueue('async-customer-operations', clock);
    return { queue, elapse: async (seconds) => clock.advance(seconds * 1000), poisonTexts: async () => queue.poison.texts() };
  });
});

describe('StorageOperationQueue on Azurite', () => {
  const storageQueue = useStorageQueues();
  operationQueueContract(async () => {
    const { queue, poison } = await storageQueue();
    return {
      queue,
      // Azurite times the timeout from when it took the receive, which is before its answer reached us.
      elapse: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 50)),
      poisonTexts: async () => (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => m.messageText),
    };
  });
});
