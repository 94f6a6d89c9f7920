import type { ChannelCustomer } from '../domain/channel-customer';
import type { StagedOperation } from '../domain/operation';

/** The filters of the "Customer synchronization status" list (parsed by use-cases/sync-status/list-query). */
export interface SyncStatusFilter {
  status?: StagedOperation['status'] | 'Pending';
  channelId?: string;
  entity?: StagedOperation['entity'];
  customerAccount?: string;
  custAccountAsync?: string;
  /** Lower-cased: emails are compared without regard to case. */
  email?: string;
  /** ISO timestamp (normalised to `toISOString`): operations created at or after it. */
  since?: string;
}

/** A staged document as stored: poison rows carry `poison: true`, saved ones `editedAt`. */
export type StagedDoc = StagedOperation & { poison?: true; editedAt?: string };

/** What the list needs of a channel customer with outstanding operations. */
export type OutstandingCustomer = Pick<
  ChannelCustomer,
  'id' | 'channelId' | 'custAccountAsync' | 'accountNumber' | 'email' | 'createdAt' | 'updatedAt' | 'operations'
>;

export interface StagingCounts {
  uploaded: number;
  completed: number;
  failed: number;
  /** Failed and out of automatic retries, or poison. */
  waitingForOperator: number;
  poison: number;
  /** createdAt of the oldest Uploaded operation. */
  oldestUploaded: string | undefined;
}

/**
 * The operators' read side over HQ staging and the channel: the queries behind the list, the
 * detail and the metrics. Nothing here is on a sign-up's or a sync pass's path.
 */
export interface SyncStatusReadModel {
  /**
   * Staged operations matching the filter (`status: 'Pending'` matches none), newest first by
   * sortKey, below `before` when given, at most `top`. `customerAccount` and `email` also match
   * the operations of the channel customers that have that account or email now.
   */
  stagedOperations(filter: SyncStatusFilter, page: { before?: string; top: number }): Promise<StagedDoc[]>;
  /**
   * Channel customers with outstanding operations (hqAppliedCounter < replicationCounter) matching
   * the filter's customer fields, newest `updatedAt` first, in pages; with `createdAtOrBefore`,
   * only customers created at or before it.
   */
  outstandingCustomers(filter: SyncStatusFilter, options?: { createdAtOrBefore?: string }): AsyncIterable<OutstandingCustomer[]>;
  /** Which of these operation ids staging holds. */
  stagedIds(operationIds: string[]): Promise<Set<string>>;
  /** The account numbers the channel knows for these customers (null: not synced yet). */
  accountNumbers(customerIds: string[]): Promise<Map<string, string | null>>;
  /** The channel customer that holds this operation id among its own operations. */
  customerWithOperation(operationId: string): Promise<ChannelCustomer | undefined>;
  stagingCounts(maxAttempts: number): Promise<StagingCounts>;
  /**
   * Customer creations completed at or after `since` (accepted at `createdAt`, account number
   * known to the channel at `completedAt`), most recent first, at most `limit`.
   */
  recentCompletions(since: string, limit: number): Promise<{ createdAt: string; completedAt: string }[]>;
}
