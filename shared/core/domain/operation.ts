/**
 * Async operations: the rows of the channel's async tables (RETAILASYNC*), and their statuses.
 */
import { z } from 'zod';

export const ENTITIES = ['Customer', 'Address', 'Contact', 'Affiliation', 'Attribute'] as const;
export type Entity = (typeof ENTITIES)[number];

export const OPERATION_KINDS = ['Create', 'Update', 'Deactivate'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export const STATUSES = ['Pending', 'Uploaded', 'Completed', 'Failed'] as const;
export type SyncStatus = (typeof STATUSES)[number];

/** The async table each entity mirrors, for operators who know the HQ names. */
export const ASYNC_TABLE: Readonly<Record<Entity, string>> = {
  Customer: 'RETAILASYNCCUSTOMERV2',
  Address: 'RETAILASYNCADDRESSV2',
  Contact: 'RETAILASYNCCUSTOMERCONTACT',
  Affiliation: 'RETAILASYNCCUSTOMERAFFILIATION',
  Attribute: 'RETAILASYNCCUSTOMERATTRIBUTEV2',
};

/** What the channel queues: everything HQ needs to apply the operation, and nothing else. */
export interface AsyncOperation {
  operationId: string;
  /** The channel customer the operation belongs to (the partition of its staging rows). */
  customerId: string;
  channelId: string;
  /** GUID account of a customer created in async mode; null for one created in real time. */
  custAccountAsync: string | null;
  /** The real HQ account when the channel knew it at the time of the operation. */
  customerAccount: string | null;
  entity: Entity;
  operation: OperationKind;
  /** Per customer, 1, 2, 3...: operations apply in this order, with no gaps. */
  replicationCounter: number;
  payload: Record<string, unknown>;
  createdAt: string;
  /** Copied from the customer so operators can filter by it; never logged. */
  email: string | null;
}

/** An operation in HQ staging (the P-job's target), with its synchronization state. */
export interface StagedOperation extends AsyncOperation {
  id: string;
  onlineOperationCompleted: 0 | 1;
  status: Exclude<SyncStatus, 'Pending'>;
  attempts: number;
  lastError: string | null;
  uploadedAt: string;
  completedAt: string | null;
  /** The sync run that last looked at this operation; keeps one run from retrying in a loop. */
  lastRunId: string | null;
  /** `createdAt|operationId`: one sortable key for newest-first paging and oldest-first syncing. */
  sortKey: string;
  /** Spreads customers over parallel batches; derived from customerId. */
  shard: number;
}

/** What the channel keeps of each of its operations. */
export const operationRecordSchema = z.object({
  operationId: z.uuid(),
  entity: z.enum(ENTITIES),
  operation: z.enum(OPERATION_KINDS),
  replicationCounter: z.int().min(1),
  status: z.enum(STATUSES),
  createdAt: z.iso.datetime(),
  uploadedAt: z.iso.datetime().nullable(),
  completedAt: z.iso.datetime().nullable(),
  attempts: z.int().min(0),
  lastError: z.string().nullable(),
  /** Kept so the channel can queue the operation again if the first send was lost. */
  payload: z.record(z.string(), z.unknown()),
});
export type OperationRecord = z.output<typeof operationRecordSchema>;

const PROGRESS: Readonly<Record<SyncStatus, number>> = { Pending: 0, Uploaded: 1, Completed: 2, Failed: -1 };

/** A customer's status is the least advanced of its operations; Failed wins. */
export function leastAdvanced(statuses: Iterable<SyncStatus>): SyncStatus {
  let result: SyncStatus = 'Completed';
  for (const status of statuses) {
    if (PROGRESS[status] < PROGRESS[result]) result = status;
  }
  return result;
}

export function sortKey(createdAt: string, operationId: string): string {
  return `${createdAt}|${operationId}`;
}

export const SHARD_COUNT = 1024;

export function shardOf(customerId: string): number {
  return parseInt(customerId.replace(/-/g, '').slice(-4), 16) % SHARD_COUNT;
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
