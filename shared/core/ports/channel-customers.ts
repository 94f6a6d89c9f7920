import type { ChannelCustomer } from '../domain/channel-customer';
import type { OperationRecord } from '../domain/operation';
import type { Versioned } from './errors';

/** HQ's answer for one customer, in the channel's numbering (job 1010 writes it back). */
export interface DistributedState {
  accountNumber: string;
  appliedCounter: number;
}

/** The channel's customers (channel database), one record per customer with its operations. */
export interface ChannelCustomers {
  /** Creates the customer; `false` when one with the same id already exists. */
  create(customer: ChannelCustomer): Promise<boolean>;
  read(customerId: string): Promise<Versioned<ChannelCustomer> | undefined>;
  findByAccountNumber(channelId: string, accountNumber: string): Promise<Versioned<ChannelCustomer> | undefined>;
  /** How many customers there are; with `synced`, only those that have their HQ account number. */
  count(options?: { synced?: boolean }): Promise<number>;
  /** Replaces the customer if nobody changed it since `etag`; throws StaleVersionError otherwise. */
  replace(customer: ChannelCustomer, etag: string): Promise<Versioned<ChannelCustomer>>;
  /**
   * Customers HQ is behind on, untouched since `cutoff`, not yet reconciled at their current
   * counter: what reconciliation looks at.
   */
  unreconciled(cutoff: string, limit: number): Promise<ChannelCustomer[]>;
  /** Records the counter up to which reconciliation looked, without conflicting with distribution. */
  markReconciled(customerId: string, counter: number): Promise<void>;
  /**
   * Writes HQ's answer back: the account number and the new state of the given operations,
   * without reading the customer first (so it never conflicts with a concurrent edit).
   * MissingRecordError when the channel has no such customer.
   */
  recordDistribution(customerId: string, hq: DistributedState | undefined, operations: OperationRecord[]): Promise<void>;
}
