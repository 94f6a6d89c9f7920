import type { ChannelCustomer } from '../../core/domain/channel-customer';
import type { OperationRecord } from '../../core/domain/operation';
import type { ChannelCustomers, DistributedState } from '../../core/ports/channel-customers';
import type { Versioned } from '../../core/ports/errors';
import { MemoryContainer, PatchSet } from './documents';

/** The channel's customers in memory, with the Cosmos adapter's queries and patches. */
export class MemoryChannelCustomers implements ChannelCustomers {
  constructor(readonly container = new MemoryContainer<ChannelCustomer>()) {}

  async create(customer: ChannelCustomer): Promise<boolean> {
    if (this.container.read(customer.id)) return false;
    this.container.create(customer, `channel customer ${customer.id}`);
    return true;
  }

  async read(customerId: string): Promise<Versioned<ChannelCustomer> | undefined> {
    return this.container.read(customerId);
  }

  async findByAccountNumber(channelId: string, accountNumber: string): Promise<Versioned<ChannelCustomer> | undefined> {
    return this.container.all().find(({ doc }) => doc.accountNumber === accountNumber && doc.channelId === channelId);
  }

  async count({ synced = false } = {}): Promise<number> {
    return this.container.where((c) => !synced || typeof c.accountNumber === 'string').length;
  }

  async replace(customer: ChannelCustomer, etag: string): Promise<Versioned<ChannelCustomer>> {
    return this.container.replace(customer, etag, `channel customer ${customer.id}`);
  }

  async unreconciled(cutoff: string, limit: number): Promise<ChannelCustomer[]> {
    return this.container
      .where(
        (c) =>
          c.hqAppliedCounter < c.replicationCounter &&
          c.updatedAt < cutoff &&
          (c.reconciledCounter === undefined || c.reconciledCounter < c.replicationCounter),
      )
      .slice(0, limit);
  }

  async markReconciled(customerId: string, counter: number): Promise<void> {
    this.container.patch(customerId, customerId, [[['reconciledCounter'], counter]], `channel customer ${customerId}`);
  }

  async recordDistribution(customerId: string, hq: DistributedState | undefined, operations: OperationRecord[]): Promise<void> {
    const sets: PatchSet[] = operations.map((op) => [['operations', op.operationId], op]);
    if (hq) sets.unshift([['accountNumber'], hq.accountNumber], [['hqAppliedCounter'], hq.appliedCounter]);
    // Like the Cosmos adapter, nothing to write sends no request (and so finds no missing customer).
    if (sets.length > 0) this.container.patch(customerId, customerId, sets, `channel customer ${customerId}`);
  }
}
