/**
 * The operators' read model in memory: the Cosmos read model's queries over the same two
 * containers the memory staging and channel customers write.
 */
import type { ChannelCustomer } from '../../core/domain/channel-customer';
import type { OutstandingCustomer, StagedDoc, StagingCounts, SyncStatusFilter, SyncStatusReadModel } from '../../core/ports/sync-status-read-model';
import { by, MemoryContainer } from './documents';

/** As in the Cosmos adapter: customers per page, and customers an email/account filter may resolve to. */
const CHANNEL_PAGE = 100;
const MAX_RESOLVED_CUSTOMERS = 100;

export class MemorySyncStatusReadModel implements SyncStatusReadModel {
  constructor(
    private readonly staging: MemoryContainer<StagedDoc>,
    private readonly channel: MemoryContainer<ChannelCustomer>,
  ) {}

  async stagedOperations(filter: SyncStatusFilter, page: { before?: string; top: number }): Promise<StagedDoc[]> {
    if (filter.status === 'Pending') return [];
    const accountCustomers = filter.customerAccount ? this.channelCustomerIds((c) => c.accountNumber === filter.customerAccount) : [];
    const emailCustomers = filter.email ? this.channelCustomerIds((c) => lower(c.email) === filter.email) : [];
    const matches = (op: StagedDoc) =>
      (!page.before || op.sortKey < page.before) &&
      (!filter.since || op.sortKey >= filter.since) &&
      (!filter.status || op.status === filter.status) &&
      (!filter.channelId || op.channelId === filter.channelId) &&
      (!filter.entity || op.entity === filter.entity) &&
      (!filter.custAccountAsync || op.custAccountAsync === filter.custAccountAsync.toLowerCase()) &&
      (!filter.customerAccount || op.customerAccount === filter.customerAccount || accountCustomers.includes(op.customerId)) &&
      (!filter.email || lower(op.email) === filter.email || emailCustomers.includes(op.customerId));
    return this.staging
      .where(matches)
      .sort(by((op) => op.sortKey, 'desc'))
      .slice(0, page.top);
  }

  async *outstandingCustomers(filter: SyncStatusFilter, options: { createdAtOrBefore?: string } = {}): AsyncGenerator<OutstandingCustomer[]> {
    const matches = (c: ChannelCustomer) =>
      c.hqAppliedCounter < c.replicationCounter &&
      (!options.createdAtOrBefore || c.createdAt <= options.createdAtOrBefore) &&
      (!filter.since || c.updatedAt >= filter.since) &&
      (!filter.channelId || c.channelId === filter.channelId) &&
      (!filter.custAccountAsync || c.custAccountAsync === filter.custAccountAsync.toLowerCase()) &&
      (!filter.customerAccount || c.accountNumber === filter.customerAccount) &&
      (!filter.email || lower(c.email) === filter.email);
    const found = this.channel
      .where(matches)
      .sort(by((c) => c.updatedAt, 'desc'))
      .map(({ id, channelId, custAccountAsync, accountNumber, email, createdAt, updatedAt, operations }) => ({
        id,
        channelId,
        custAccountAsync,
        accountNumber,
        email,
        createdAt,
        updatedAt,
        operations,
      }));
    for (let i = 0; i < found.length; i += CHANNEL_PAGE) yield found.slice(i, i + CHANNEL_PAGE);
  }

  async stagedIds(operationIds: string[]): Promise<Set<string>> {
    const wanted = new Set(operationIds);
    return new Set(this.staging.where((op) => wanted.has(op.id)).map((op) => op.id));
  }

  async accountNumbers(customerIds: string[]): Promise<Map<string, string | null>> {
    const wanted = new Set(customerIds);
    return new Map(this.channel.where((c) => wanted.has(c.id)).map((c) => [c.id, c.accountNumber]));
  }

  async customerWithOperation(operationId: string): Promise<ChannelCustomer | undefined> {
    return this.channel.where((c) => Object.hasOwn(c.operations, operationId))[0];
  }

  async recentCompletions(since: string, limit: number): Promise<{ createdAt: string; completedAt: string }[]> {
    return this.staging
      .where((op) => op.status === 'Completed' && op.entity === 'Customer' && op.operation === 'Create' && !!op.completedAt && op.completedAt >= since)
      .sort(by((op) => op.completedAt!, 'desc'))
      .slice(0, limit)
      .map((op) => ({ createdAt: op.createdAt, completedAt: op.completedAt! }));
  }

  async stagingCounts(maxAttempts: number): Promise<StagingCounts> {
    const all = this.staging.where();
    const count = (predicate: (op: StagedDoc) => boolean) => all.filter(predicate).length;
    const uploaded = all.filter((op) => op.status === 'Uploaded').sort(by((op) => op.sortKey));
    return {
      uploaded: uploaded.length,
      completed: count((op) => op.status === 'Completed'),
      failed: count((op) => op.status === 'Failed'),
      waitingForOperator: count((op) => op.status === 'Failed' && (op.attempts >= maxAttempts || op.poison !== undefined)),
      poison: count((op) => op.poison !== undefined),
      oldestUploaded: uploaded[0]?.createdAt,
    };
  }

  private channelCustomerIds(predicate: (c: ChannelCustomer) => boolean): string[] {
    return this.channel
      .where(predicate)
      .slice(0, MAX_RESOLVED_CUSTOMERS)
      .map((c) => c.id);
  }
}

/** Cosmos' LOWER of a non-string is undefined, which equals nothing. */
const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : undefined);
