import type { AppConfig } from '../../core/config/settings';
import { createQueueServiceClient } from './client';

/** Queue names derive from settings; the poison queue is always `{name}-poison`. */
export function queueNames(asyncQueueName: string): string[] {
  return [asyncQueueName, `${asyncQueueName}-poison`];
}

/** Creates the operation queue and its poison queue, if missing (infra/ declares them in Azure). */
export async function provisionQueues(asyncQueue: AppConfig['asyncQueue']): Promise<void> {
  const queues = createQueueServiceClient(asyncQueue.connection);
  for (const name of queueNames(asyncQueue.name)) await queues.getQueueClient(name).createIfNotExists();
}
