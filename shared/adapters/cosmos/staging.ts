import type { Container, PatchOperation, SqlParameter } from '@azure/cosmos';
import { AsyncOperation, shardOf, sortKey, StagedOperation } from '../../core/domain/operation';
import { createIfAbsent, readVersioned, stripSystem, Versioned } from './documents';

/** HQ staging (`asyncOperations`): where upload puts operations and synchronize takes them from. */
export class StagingStore {
  constructor(private readonly container: Container) {}

  /** Stages an operation; `false` when it was already staged (a message delivered twice). */
  async stage(operation: StagedOperation): Promise<boolean> {
    return createIfAbsent(this.container, operation);
  }

  /**
   * The oldest operations this run has not looked at yet, for one group of customers. Groups
   * split customers by shard, so parallel batches never touch the same customer.
   */
  async outstanding(query: { runId: string; group: number; groups: number; limit: number; maxAttempts: number }): Promise<StagedOperation[]> {
    const { resources } = await this.container.items
      .query<StagedOperation>({
        query:
          'SELECT TOP @limit * FROM c WHERE ' +
          "(c.status = 'Uploaded' OR (c.status = 'Failed' AND c.attempts < @maxAttempts AND NOT IS_DEFINED(c.poison))) " +
          'AND (IS_NULL(c.lastRunId) OR c.lastRunId != @runId) AND c.shard % @groups = @group ORDER BY c.sortKey',
        parameters: [
          { name: '@limit', value: query.limit },
          { name: '@maxAttempts', value: query.maxAttempts },
          { name: '@runId', value: query.runId },
          { name: '@groups', value: query.groups },
          { name: '@group', value: query.group },
        ],
      })
      .fetchAll();
    return resources.map(stripSystem);
  }

  /** Every operation of one customer that is not completed, from its own partition. */
  async outstandingForCustomer(customerId: string): Promise<StagedOperation[]> {
    const { resources } = await this.container.items
      .query<StagedOperation>(
        {
          query: "SELECT * FROM c WHERE c.customerId = @customerId AND c.status != 'Completed' AND NOT IS_DEFINED(c.poison)",
          parameters: [{ name: '@customerId', value: customerId }],
        },
        { partitionKey: customerId },
      )
      .fetchAll();
    return resources.map(stripSystem);
  }

  async read(customerId: string, operationId: string): Promise<Versioned<StagedOperation> | undefined> {
    return readVersioned<StagedOperation>(this.container, operationId, customerId);
  }

  /** Finds an operation by id alone (operators know the id, not the customer). */
  async find(operationId: string): Promise<{ doc: StagedOperation; etag: string } | undefined> {
    const { resources } = await this.container.items
      .query<StagedOperation & { _etag: string }>({
        query: 'SELECT * FROM c WHERE c.id = @id',
        parameters: [{ name: '@id', value: operationId }],
      })
      .fetchAll();
    const found = resources[0];
    return found ? { doc: stripSystem(found), etag: found._etag } : undefined;
  }

  async update(operation: Pick<StagedOperation, 'id' | 'customerId'>, changes: Partial<StagedOperation>): Promise<void> {
    const patches: PatchOperation[] = Object.entries(changes).map(([key, value]) => ({ op: 'set', path: `/${key}`, value }));
    await this.container.item(operation.id, operation.customerId).patch(patches);
  }

  async replace(operation: StagedOperation, etag: string): Promise<string> {
    const { etag: next } = await this.container
      .item(operation.id, operation.customerId)
      .replace(operation, { accessCondition: { type: 'IfMatch', condition: etag } });
    return next;
  }

  async query<T>(query: string, parameters: SqlParameter[], options: { maxItemCount?: number; continuationToken?: string } = {}) {
    const iterator = this.container.items.query<T>({ query, parameters }, { maxItemCount: options.maxItemCount, continuationToken: options.continuationToken });
    return iterator.fetchNext();
  }
}

/** An operation as upload (or reconciliation) stages it: Uploaded, not yet completed. */
export function toStaged(op: AsyncOperation, uploadedAt: string): StagedOperation {
  return {
    ...op,
    id: op.operationId,
    onlineOperationCompleted: 0,
    status: 'Uploaded',
    attempts: 0,
    lastError: null,
    uploadedAt,
    completedAt: null,
    lastRunId: null,
    sortKey: sortKey(op.createdAt, op.operationId),
    shard: shardOf(op.customerId),
  };
}
