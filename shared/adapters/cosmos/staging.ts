import type { Container, PatchOperation } from '@azure/cosmos';
import type { StagedOperation } from '../../core/domain/operation';
import type { Versioned } from '../../core/ports/errors';
import type { OutstandingQuery, Staging } from '../../core/ports/staging';
import { createIfAbsent, readVersioned, replaceIfMatch, stripSystem, translated, versionedOf } from './documents';

/** HQ staging (`asyncOperations`): where upload puts operations and synchronize takes them from. */
export class CosmosStaging implements Staging {
  constructor(private readonly container: Container) {}

  /** Stages an operation; `false` when it was already staged (a message delivered twice). */
  async stage(operation: StagedOperation): Promise<boolean> {
    return createIfAbsent(this.container, operation);
  }

  /**
   * The oldest operations this run has not looked at yet, for one group of customers. Groups
   * split customers by shard, so parallel batches never touch the same customer.
   */
  async outstanding(query: OutstandingQuery): Promise<StagedOperation[]> {
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
  async find(operationId: string): Promise<Versioned<StagedOperation> | undefined> {
    const { resources } = await this.container.items
      .query<StagedOperation & { _etag: string }>({
        query: 'SELECT * FROM c WHERE c.id = @id',
        parameters: [{ name: '@id', value: operationId }],
      })
      .fetchAll();
    return resources[0] && versionedOf(resources[0]);
  }

  async update(operation: Pick<StagedOperation, 'id' | 'customerId'>, changes: Partial<StagedOperation>): Promise<void> {
    const patches: PatchOperation[] = Object.entries(changes).map(([key, value]) => ({ op: 'set', path: `/${key}`, value }));
    try {
      await this.container.item(operation.id, operation.customerId).patch(patches);
    } catch (error) {
      throw translated(error, `operation ${operation.id}`);
    }
  }

  async replace(operation: StagedOperation, etag: string): Promise<string> {
    return (await replaceIfMatch(this.container, operation, operation.customerId, etag, `operation ${operation.id}`)).etag;
  }
}
