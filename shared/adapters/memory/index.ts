/**
 * Every port in memory, wired to each other as the Cosmos and Storage adapters are through their
 * containers and queues: the read model sees what staging and the channel customers write. For
 * the fast tests and the model tests; the contract suites in test/contracts prove they behave as
 * the real adapters do.
 */
import type { Ports } from '../../core/ports';
import { Clock, systemClock } from '../../core/ports/clock';
import { MemoryChannelCustomers } from './channel-customers';
import { MemoryCustomerSearch } from './customer-search';
import { MemoryHqCustomers } from './hq-customers';
import { MemoryNumberSequences } from './number-sequences';
import { MemoryOperationQueue } from './operation-queue';
import { MemoryRunLog } from './run-log';
import { MemoryStaging } from './staging';
import { MemorySyncStatusReadModel } from './sync-status-read-model';
import { MemoryWebhookOutbox } from './webhook-outbox';

export { ManualClock } from './clock';
export { MemoryContainer } from './documents';
export { MemoryQueue } from './operation-queue';
export {
  MemoryChannelCustomers,
  MemoryCustomerSearch,
  MemoryHqCustomers,
  MemoryNumberSequences,
  MemoryOperationQueue,
  MemoryRunLog,
  MemoryStaging,
  MemorySyncStatusReadModel,
  MemoryWebhookOutbox,
};

export interface MemoryPortsOptions {
  /** The core's clock and the queue's (visibility timeouts); the system clock by default. */
  clock?: Clock;
  /** The operation queue's name (its poison queue is `{name}-poison`). */
  queueName?: string;
}

/** The ports as the memory adapters, so a test can also look inside (a container's documents, the queue's messages). */
export interface MemoryPorts extends Ports {
  channel: MemoryChannelCustomers;
  customerSearch: MemoryCustomerSearch;
  hqCustomers: MemoryHqCustomers;
  numberSequences: MemoryNumberSequences;
  staging: MemoryStaging;
  queue: MemoryOperationQueue;
  runs: MemoryRunLog;
  syncStatusReadModel: MemorySyncStatusReadModel;
  webhookOutbox: MemoryWebhookOutbox;
}

export function memoryPorts(options: MemoryPortsOptions = {}): MemoryPorts {
  const clock = options.clock ?? systemClock;
  const channel = new MemoryChannelCustomers();
  const staging = new MemoryStaging();
  return {
    channel,
    customerSearch: new MemoryCustomerSearch(channel.container),
    hqCustomers: new MemoryHqCustomers(),
    numberSequences: new MemoryNumberSequences(),
    staging,
    queue: new MemoryOperationQueue(options.queueName, clock),
    runs: new MemoryRunLog(),
    syncStatusReadModel: new MemorySyncStatusReadModel(staging.container, channel.container),
    webhookOutbox: new MemoryWebhookOutbox(),
    clock,
  };
}
