/**
 * The channel's customers container, partitioned by id. Reads and writes are point operations;
 * the queries serve reconciliation and the account-number lookup only.
 */
import type { Container, PatchOperation } from '@azure/cosmos';
import type { ChannelCustomer } from '../../core/domain/channel-customer';
import type { OperationRecord } from '../../core/domain/operation';
import type { ChannelCustomers, DistributedState } from '../../core/ports/channel-customers';
import type { Versioned } from '../../core/ports/errors';
import { createIfAbsent, readVersioned, replaceIfMatch, stripSystem, translated, versionedOf } from './documents';

/** Cosmos limits one patch request to 10 operations. */
const PATCH_LIMIT = 10;

export class CosmosChannelCustomers implements ChannelCustomers {
  constructor(private readonly customers: Container) {}

  /** Creates the customer; `false` when one with the same id already exists. */
  async create(customer: ChannelCustomer): Promise<boolean> {
    return createIfAbsent(this.customers, customer);
  }

  async read(customerId: string): Promise<Versioned<ChannelCustomer> | undefined> {
    return readVersioned<ChannelCustomer>(this.customers, customerId, customerId);
  }

  async findByAccountNumber(channelId: string, accountNumber: string): Promise<Versioned<ChannelCustomer> | undefined> {
    const { resources } = await this.customers.items
      .query<ChannelCustomer>({
        query: 'SELECT * FROM c WHERE c.accountNumber = @accountNumber AND c.channelId = @channelId',
        parameters: [
          { name: '@accountNumber', value: accountNumber },
          { name: '@channelId', value: channelId },
        ],
      })
      .fetchAll();
    return resources[0] && versionedOf(resources[0]);
  }

  /** How many customers the channel has; with `synced`, only those that have their HQ account number. */
  async count({ synced = false } = {}): Promise<number> {
    const where = synced ? ' WHERE IS_STRING(c.accountNumber)' : '';
    const { resources } = await this.customers.items.query<number>(`SELECT VALUE COUNT(1) FROM c${where}`).fetchAll();
    return resources[0] ?? 0;
  }

  replace(customer: ChannelCustomer, etag: string): Promise<Versioned<ChannelCustomer>> {
    return replaceIfMatch(this.customers, customer, customer.id, etag, `channel customer ${customer.id}`);
  }

  /**
   * Customers HQ is behind on, untouched since `cutoff`, not yet reconciled at their current
   * counter: what reconciliation looks at. Cheap when nothing is outstanding.
   */
  async unreconciled(cutoff: string, limit: number): Promise<ChannelCustomer[]> {
    const { resources } = await this.customers.items
      .query<ChannelCustomer>({
        query:
          'SELECT TOP @limit * FROM c WHERE c.hqAppliedCounter < c.replicationCounter AND c.updatedAt < @cutoff ' +
          'AND (NOT IS_DEFINED(c.reconciledCounter) OR c.reconciledCounter < c.replicationCounter)',
        parameters: [
          { name: '@limit', value: limit },
          { name: '@cutoff', value: cutoff },
        ],
      })
      .fetchAll();
    return resources.map(stripSystem);
  }

  /** A patch, so it never conflicts with distribution; a later operation raises replicationCounter past it. */
  async markReconciled(customerId: string, counter: number): Promise<void> {
    try {
      await this.customers.item(customerId, customerId).patch([{ op: 'set', path: '/reconciledCounter', value: counter }]);
    } catch (error) {
      throw translated(error, `channel customer ${customerId}`);
    }
  }

  /**
   * Writes HQ's answer back (the 1010 distribution): the account number and the new state of the
   * given operations, without reading the customer first.
   */
  async recordDistribution(customerId: string, hq: DistributedState | undefined, operations: OperationRecord[]): Promise<void> {
    const patches: PatchOperation[] = operations.map((op) => ({ op: 'set', path: `/operations/${op.operationId}`, value: op }));
    if (hq) {
      patches.unshift({ op: 'set', path: '/accountNumber', value: hq.accountNumber }, { op: 'set', path: '/hqAppliedCounter', value: hq.appliedCounter });
    }
    const item = this.customers.item(customerId, customerId);
    try {
      for (let i = 0; i < patches.length; i += PATCH_LIMIT) {
        await item.patch(patches.slice(i, i + PATCH_LIMIT));
      }
    } catch (error) {
      throw translated(error, `channel customer ${customerId}`);
    }
  }
}
