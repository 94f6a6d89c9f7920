import type { StagedOperation } from '../domain/operation';
import type { Versioned } from './errors';

export interface OutstandingQuery {
  /** Operations this run already looked at are skipped (one run does not retry in a loop). */
  runId: string;
  /** Customers are split over `groups` by shard, so parallel batches never share a customer. */
  group: number;
  groups: number;
  limit: number;
  /** Failed operations with this many attempts wait for an operator. */
  maxAttempts: number;
}

/** HQ staging (`asyncOperations`): where upload puts operations and synchronize takes them from. */
export interface Staging {
  /** Stages an operation; `false` when it was staged already (a message delivered twice). */
  stage(operation: StagedOperation): Promise<boolean>;
  /** The oldest operations to synchronize of one customer group (Uploaded, or Failed with attempts left). */
  outstanding(query: OutstandingQuery): Promise<StagedOperation[]>;
  /** Every operation of one customer that is not completed (poison rows excluded). */
  outstandingForCustomer(customerId: string): Promise<StagedOperation[]>;
  read(customerId: string, operationId: string): Promise<Versioned<StagedOperation> | undefined>;
  /** Finds an operation by id alone (operators know the id, not the customer). */
  find(operationId: string): Promise<Versioned<StagedOperation> | undefined>;
  /** Sets the given fields without reading first. */
  update(operation: Pick<StagedOperation, 'id' | 'customerId'>, changes: Partial<StagedOperation>): Promise<void>;
  /** Throws StaleVersionError when the operation changed since `etag`. */
  replace(operation: StagedOperation, etag: string): Promise<string>;
}
