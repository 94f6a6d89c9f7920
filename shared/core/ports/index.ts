import type { ChannelCustomers } from './channel-customers';
import type { Clock } from './clock';
import type { CustomerSearch } from './customer-search';
import type { HqCustomers } from './hq-customers';
import type { NumberSequences } from './number-sequences';
import type { OperationQueue } from './operation-queue';
import type { RunLog } from './run-log';
import type { Staging } from './staging';
import type { SyncStatusReadModel } from './sync-status-read-model';
import type { WebhookOutbox } from './webhook-outbox';

/** Every port the core needs: one adapter per port, all from one technology or all in memory. */
export interface Ports {
  channel: ChannelCustomers;
  customerSearch: CustomerSearch;
  hqCustomers: HqCustomers;
  numberSequences: NumberSequences;
  staging: Staging;
  queue: OperationQueue;
  runs: RunLog;
  syncStatusReadModel: SyncStatusReadModel;
  webhookOutbox: WebhookOutbox;
  clock: Clock;
}
