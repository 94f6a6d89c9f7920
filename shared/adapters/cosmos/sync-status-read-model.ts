/**
 * The operators' read model on Cosmos: the queries behind the sync-status list, detail and
 * metrics, over HQ staging and the channel's customers.
 */
import type { Container, SqlParameter } from '@azure/cosmos';
import type { ChannelCustomer } from '../../core/domain/channel-customer';
import type { OutstandingCustomer, StagedDoc, StagingCounts, SyncStatusFilter, SyncStatusReadModel } from '../../core/ports/sync-status-read-model';
import { fromDocument } from './channel-customers';

/** Channel customers read per request while scanning for Pending operations. */
const CHANNEL_PAGE = 100;
/** Customers an `email`/`customerAccount` filter may resolve to. */
const MAX_RESOLVED_CUSTOMERS = 100;
/** Ids in one `ARRAY_CONTAINS` lookup. */
const ID_CHUNK = 200;

export class CosmosSyncStatusReadModel implements SyncStatusReadModel {
  constructor(
    private readonly staging: Container,
    private readonly channel: Container,
  ) {}

  async stagedOperations(filter: SyncStatusFilter, page: { before?: string; top: number }): Promise<StagedDoc[]> {
    if (filter.status === 'Pending') return [];
    const where: string[] = [];
    const parameters: SqlParameter[] = [{ name: '@top', value: page.top }];
    const add = (condition: string, name: string, value: SqlParameter['value']) => {
      where.push(condition);
      parameters.push({ name, value });
    };
    if (page.before) add('c.sortKey < @after', '@after', page.before);
    if (filter.since) add('c.sortKey >= @since', '@since', filter.since);
    if (filter.status) add('c.status = @status', '@status', filter.status);
    if (filter.channelId) add('c.channelId = @channelId', '@channelId', filter.channelId);
    if (filter.entity) add('c.entity = @entity', '@entity', filter.entity);
    if (filter.custAccountAsync) add('c.custAccountAsync = @custAccountAsync', '@custAccountAsync', filter.custAccountAsync.toLowerCase());
    if (filter.customerAccount) {
      // Staged rows carry the account only when the channel knew it; the channel knows it now.
      const ids = await this.channelCustomerIds('c.accountNumber = @value', filter.customerAccount);
      add('(c.customerAccount = @account OR ARRAY_CONTAINS(@accountCustomers, c.customerId))', '@account', filter.customerAccount);
      parameters.push({ name: '@accountCustomers', value: ids });
    }
    if (filter.email) {
      const ids = await this.channelCustomerIds('LOWER(c.email) = @value', filter.email);
      add('(LOWER(c.email) = @email OR ARRAY_CONTAINS(@emailCustomers, c.customerId))', '@email', filter.email);
      parameters.push({ name: '@emailCustomers', value: ids });
    }
    const query = `SELECT TOP @top * FROM c${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY c.sortKey DESC`;
    const { resources } = await this.staging.items.query<StagedDoc>({ query, parameters }).fetchAll();
    return resources;
  }

  async *outstandingCustomers(filter: SyncStatusFilter, options: { createdAtOrBefore?: string } = {}): AsyncGenerator<OutstandingCustomer[]> {
    const where = ['c.hqAppliedCounter < c.replicationCounter'];
    const parameters: SqlParameter[] = [];
    const add = (condition: string, name: string, value: string) => {
      where.push(condition);
      parameters.push({ name, value });
    };
    // An operation is created at or after its customer and at or before the customer's updatedAt.
    if (options.createdAtOrBefore) add('c.createdAt <= @afterCreatedAt', '@afterCreatedAt', options.createdAtOrBefore);
    if (filter.since) add('c.updatedAt >= @since', '@since', filter.since);
    if (filter.channelId) add('c.channelId = @channelId', '@channelId', filter.channelId);
    if (filter.custAccountAsync) add('c.custAccountAsync = @custAccountAsync', '@custAccountAsync', filter.custAccountAsync.toLowerCase());
    if (filter.customerAccount) add('c.accountNumber = @account', '@account', filter.customerAccount);
    if (filter.email) add('LOWER(c.email) = @email', '@email', filter.email);
    const iterator = this.channel.items.query<OutstandingCustomer>(
      {
        query:
          'SELECT c.id, c.channelId, c.custAccountAsync, c.accountNumber, c.email, c.createdAt, c.updatedAt, c.operations FROM c ' +
          `WHERE ${where.join(' AND ')} ORDER BY c.updatedAt DESC`,
        parameters,
      },
      { maxItemCount: CHANNEL_PAGE },
    );
    while (iterator.hasMoreResults()) {
      const { resources } = await iterator.fetchNext();
      if (resources.length > 0) yield resources;
    }
  }

  async stagedIds(operationIds: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < operationIds.length; i += ID_CHUNK) {
      const { resources } = await this.staging.items
        .query<string>({
          query: 'SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(@ids, c.id)',
          parameters: [{ name: '@ids', value: operationIds.slice(i, i + ID_CHUNK) }],
        })
        .fetchAll();
      for (const id of resources) found.add(id);
    }
    return found;
  }

  async accountNumbers(customerIds: string[]): Promise<Map<string, string | null>> {
    const { resources } = await this.channel.items
      .query<{ id: string; accountNumber: string | null }>({
        query: 'SELECT c.id, c.accountNumber FROM c WHERE ARRAY_CONTAINS(@ids, c.id)',
        parameters: [{ name: '@ids', value: customerIds }],
      })
      .fetchAll();
    return new Map(resources.map((r) => [r.id, r.accountNumber]));
  }

  async customerWithOperation(operationId: string): Promise<ChannelCustomer | undefined> {
    const { resources } = await this.channel.items
      .query<ChannelCustomer>({ query: 'SELECT * FROM c WHERE IS_DEFINED(c.operations[@id])', parameters: [{ name: '@id', value: operationId }] })
      .fetchAll();
    const found = resources.find((customer) => Object.hasOwn(customer.operations, operationId));
    return found && fromDocument(found);
  }

  async stagingCounts(maxAttempts: number): Promise<StagingCounts> {
    const count = (where: string, parameters: SqlParameter[] = []) =>
      this.staging.items
        .query<number>({ query: `SELECT VALUE COUNT(1) FROM c WHERE ${where}`, parameters })
        .fetchAll()
        .then(({ resources }) => resources[0] ?? 0);
    const status = (s: string) => count('c.status = @status', [{ name: '@status', value: s }]);
    const [uploaded, completed, failed, waitingForOperator, poison, oldestUploaded] = await Promise.all([
      status('Uploaded'),
      status('Completed'),
      status('Failed'),
      count("c.status = 'Failed' AND (c.attempts >= @max OR IS_DEFINED(c.poison))", [{ name: '@max', value: maxAttempts }]),
      count('IS_DEFINED(c.poison)'),
      this.staging.items
        .query<string>("SELECT TOP 1 VALUE c.createdAt FROM c WHERE c.status = 'Uploaded' ORDER BY c.sortKey")
        .fetchAll()
        .then(({ resources }) => resources[0]),
    ]);
    return { uploaded, completed, failed, waitingForOperator, poison, oldestUploaded };
  }

  async recentCompletions(since: string, limit: number): Promise<{ createdAt: string; completedAt: string }[]> {
    const { resources } = await this.staging.items
      .query<{ createdAt: string; completedAt: string }>({
        query:
          "SELECT TOP @limit c.createdAt, c.completedAt FROM c WHERE c.status = 'Completed' AND c.entity = 'Customer' " +
          "AND c.operation = 'Create' AND c.completedAt >= @since ORDER BY c.completedAt DESC",
        parameters: [
          { name: '@limit', value: limit },
          { name: '@since', value: since },
        ],
      })
      .fetchAll();
    return resources;
  }

  private async channelCustomerIds(condition: string, value: string): Promise<string[]> {
    const { resources } = await this.channel.items
      .query<string>({
        query: `SELECT TOP ${MAX_RESOLVED_CUSTOMERS} VALUE c.id FROM c WHERE ${condition}`,
        parameters: [{ name: '@value', value }],
      })
      .fetchAll();
    return resources;
  }
}
