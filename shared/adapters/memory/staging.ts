import type { StagedOperation } from '../../core/domain/operation';
import type { Versioned } from '../../core/ports/errors';
import type { OutstandingQuery, Staging } from '../../core/ports/staging';
import type { StagedDoc } from '../../core/ports/sync-status-read-model';
import { by, MemoryContainer } from './documents';

/** HQ staging in memory, partitioned by customer as `asyncOperations` is, with the Cosmos adapter's queries. */
export class MemoryStaging implements Staging {
  constructor(readonly container = new MemoryContainer<StagedDoc>((op) => op.customerId)) {}

  async stage(operation: StagedOperation): Promise<boolean> {
    if (this.container.read(operation.id, operation.customerId)) return false;
    this.container.create(operation, `operation ${operation.id}`);
    return true;
  }

  async outstanding(query: OutstandingQuery): Promise<StagedOperation[]> {
    return this.container
      .where((op) => isOutstanding(op, query.maxAttempts) && notLookedAtBy(op, query.runId) && op.shard % query.groups === query.group)
      .sort(by((op) => op.sortKey))
      .slice(0, query.limit);
  }

  async outstandingForCustomer(customerId: string): Promise<StagedOperation[]> {
    return this.container.where((op) => op.customerId === customerId && op.status !== 'Completed' && op.poison === undefined);
  }

  async read(customerId: string, operationId: string): Promise<Versioned<StagedOperation> | undefined> {
    return this.container.read(operationId, customerId);
  }

  async find(operationId: string): Promise<Versioned<StagedOperation> | undefined> {
    return this.container.all().find(({ doc }) => doc.id === operationId);
  }

  async update(operation: Pick<StagedOperation, 'id' | 'customerId'>, changes: Partial<StagedOperation>): Promise<void> {
    const sets = Object.entries(changes).map(([name, value]): [string[], unknown] => [[name], value]);
    this.container.patch(operation.id, operation.customerId, sets, `operation ${operation.id}`);
  }

  async replace(operation: StagedOperation, etag: string): Promise<string> {
    return this.container.replace(operation, etag, `operation ${operation.id}`).etag;
  }
}

/** Uploaded, or Failed with attempts left (a poison row never is: it waits for an operator). */
const isOutstanding = (op: StagedDoc, maxAttempts: number) =>
  op.status === 'Uploaded' || (op.status === 'Failed' && op.attempts < maxAttempts && op.poison === undefined);

/** `IS_NULL(c.lastRunId) OR c.lastRunId != @runId`: a missing lastRunId matches neither. */
const notLookedAtBy = (op: StagedDoc, runId: string) => op.lastRunId === null || (op.lastRunId !== undefined && op.lastRunId !== runId);
