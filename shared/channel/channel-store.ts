import type { Container, PatchOperation } from '@azure/cosmos';
import type { CustomerProfile } from '../domain/customer';
import type { ExternalIdentity } from '../domain/identity';
import type { OperationRecord } from '../domain/operation';
import { createIfAbsent, readVersioned, stripSystem, Versioned } from '../storage/documents';

export type { Versioned };

export type CustomerMode = 'async' | 'realtime';

/** The channel's customer: its current values as the storefront sees them, and its operations. */
export interface ChannelCustomer extends CustomerProfile {
  id: string;
  channelId: string;
  /** Null for a customer the channel lost and got back from HQ, which does not keep it (sync/distribute.ts). */
  externalIdentity: ExternalIdentity | null;
  custAccountAsync: string | null;
  accountNumber: string | null;
  mode: CustomerMode;
  /** The last replicationCounter handed out for this customer. */
  replicationCounter: number;
  /** The last replicationCounter HQ has applied, as distributed back; below replicationCounter = outstanding. */
  hqAppliedCounter: number;
  /** Keyed by operationId, so distribution can update one with a single patch. */
  operations: Record<string, OperationRecord>;
  createdAt: string;
  updatedAt: string;
  /** The replicationCounter up to which reconciliation made sure every operation is staged (reconcile.ts). */
  reconciledCounter?: number;
}

/** Cosmos limits one patch request to 10 operations. */
const PATCH_LIMIT = 10;

export class ChannelStore {
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
    const found = resources[0];
    return found ? { doc: stripSystem(found), etag: (found as { _etag?: string })._etag ?? '' } : undefined;
  }

  /** How many customers the channel has; with `synced`, only those that have their HQ account number. */
  async count({ synced = false } = {}): Promise<number> {
    const where = synced ? ' WHERE IS_STRING(c.accountNumber)' : '';
    const { resources } = await this.customers.items.query<number>(`SELECT VALUE COUNT(1) FROM c${where}`).fetchAll();
    return resources[0] ?? 0;
  }

  /** Replaces the customer if nobody changed it since `etag`; throws a 412 error otherwise. */
  async replace(customer: ChannelCustomer, etag: string): Promise<Versioned<ChannelCustomer>> {
    const { resource, etag: next } = await this.customers
      .item(customer.id, customer.id)
      .replace<ChannelCustomer>(customer, { accessCondition: { type: 'IfMatch', condition: etag } });
    return { doc: stripSystem(resource!), etag: next };
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
    await this.customers.item(customerId, customerId).patch([{ op: 'set', path: '/reconciledCounter', value: counter }]);
  }

  /**
   * Writes HQ's answer back (the 1010 distribution): the account number and the new state of the
   * given operations, without reading the customer first.
   */
  async recordDistribution(
    customerId: string,
    hq: { accountNumber: string; appliedCounter: number } | undefined,
    operations: OperationRecord[],
  ): Promise<void> {
    const patches: PatchOperation[] = operations.map((op) => ({ op: 'set', path: `/operations/${op.operationId}`, value: op }));
    if (hq) {
      patches.unshift(
        { op: 'set', path: '/accountNumber', value: hq.accountNumber },
        { op: 'set', path: '/hqAppliedCounter', value: hq.appliedCounter },
      );
    }
    const item = this.customers.item(customerId, customerId);
    for (let i = 0; i < patches.length; i += PATCH_LIMIT) {
      await item.patch(patches.slice(i, i + PATCH_LIMIT));
    }
  }
}
