/**
 * The channel's customers container, partitioned by id. Reads and writes are point operations;
 * the queries serve reconciliation and the account-number lookup only.
 *
 * Each document carries the customer's normalised search keys (`searchKeys`: lower-cased emails,
 * digits-only phones, lower-cased name words), written with every create and replace, so customer
 * search (customer-search.ts) is an index lookup. They are storage detail: reads strip them.
 * Patches (distribution, reconciliation) change no field a key comes from.
 */
import type { Container, PatchOperation } from '@azure/cosmos';
import type { ChannelCustomer } from '../../core/domain/channel-customer';
import { SearchKeys, searchKeysOf } from '../../core/domain/customer-search';
import type { OperationRecord } from '../../core/domain/operation';
import type { ChannelCustomers, DistributedState } from '../../core/ports/channel-customers';
import { MissingRecordError, StaleVersionError, Versioned } from '../../core/ports/errors';
import { createIfAbsent, readVersioned, replaceIfMatch, stripSystem, translated, versionedOf } from './documents';

/** Cosmos limits one patch request to 10 operations. */
const PATCH_LIMIT = 10;

/** A customer as stored: with its search keys. */
export type ChannelCustomerDocument = ChannelCustomer & { searchKeys: SearchKeys };

export function toDocument(customer: ChannelCustomer): ChannelCustomerDocument {
  return { ...customer, searchKeys: searchKeysOf(customer) };
}

/** A stored customer as the core knows it: without system properties and search keys. */
export function fromDocument(doc: ChannelCustomer & { searchKeys?: SearchKeys }): ChannelCustomer {
  const { searchKeys: _keys, ...customer } = stripSystem(doc);
  return customer;
}

export class CosmosChannelCustomers implements ChannelCustomers {
  constructor(private readonly customers: Container) {}

  /** Creates the customer; `false` when one with the same id already exists. */
  async create(customer: ChannelCustomer): Promise<boolean> {
    return createIfAbsent(this.customers, toDocument(customer));
  }

  async read(customerId: string): Promise<Versioned<ChannelCustomer> | undefined> {
    const found = await readVersioned<ChannelCustomer>(this.customers, customerId, customerId);
    return found && { doc: fromDocument(found.doc), etag: found.etag };
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
    const [found] = resources;
    return found && { doc: fromDocument(found), etag: versionedOf(found).etag };
  }

  /** How many customers the channel has; with `synced`, only those that have their HQ account number. */
  async count({ synced = false } = {}): Promise<number> {
    const where = synced ? ' WHERE IS_STRING(c.accountNumber)' : '';
    const { resources } = await this.customers.items.query<number>(`SELECT VALUE COUNT(1) FROM c${where}`).fetchAll();
    return resources[0] ?? 0;
  }

  async replace(customer: ChannelCustomer, etag: string): Promise<Versioned<ChannelCustomer>> {
    const replaced = await replaceIfMatch(this.customers, toDocument(customer), customer.id, etag, `channel customer ${customer.id}`);
    return { doc: fromDocument(replaced.doc), etag: replaced.etag };
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
    return resources.map(fromDocument);
  }

  /**
   * Stores the search keys of customers written without them (before customer search existed):
   * every create and replace stores them, so only those never written since lack them. Answers
   * how many it updated. A replace that loses to another writer leaves the customer to that
   * write, which stored the keys itself. Local start-up runs it (scripts/start.ts); against an
   * account, `npm run backfill-search-keys`.
   */
  async backfillSearchKeys(batchSize = 100): Promise<number> {
    let updated = 0;
    for (;;) {
      const { resources } = await this.customers.items
        .query<ChannelCustomer & { _etag: string }>({
          query: 'SELECT TOP @batch * FROM c WHERE NOT IS_DEFINED(c.searchKeys)',
          parameters: [{ name: '@batch', value: batchSize }],
        })
        .fetchAll();
      if (resources.length === 0) return updated;
      for (const doc of resources) {
        try {
          await replaceIfMatch(this.customers, toDocument(fromDocument(doc)), doc.id, doc._etag, `channel customer ${doc.id}`);
          updated++;
        } catch (error) {
          if (!(error instanceof StaleVersionError || error instanceof MissingRecordError)) throw error;
        }
      }
    }
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
