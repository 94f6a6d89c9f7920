/**
 * One row of the "Customer synchronization status" list, built from either source: HQ staging
 * (Uploaded, Completed, Failed, poison) or the channel (Pending: accepted, not uploaded yet).
 */
import { z } from 'zod';
import type { ChannelCustomer } from '../../domain/channel-customer';
import { applyInOrder, CustomerProfile } from '../../domain/customer';
import { notFound } from '../../domain/errors';
import { GUID } from '../../domain/identity';
import { ENTITIES, OPERATION_KINDS, OperationRecord, sortKey as sortKeyOf, STATUSES } from '../../domain/operation';
import type { Staging } from '../../ports/staging';
import type { OutstandingCustomer, StagedDoc, SyncStatusReadModel } from '../../ports/sync-status-read-model';

export const syncStatusRowSchema = z
  .object({
    operationId: z.string().meta({ description: "A GUID; a poison message's row is `poison-` and its queue message id." }),
    customerId: z.string(),
    channelId: z.string(),
    channelName: z.string(),
    /** The real HQ account; null while the customer is not in HQ ("Pending sync"). */
    customerAccount: z.string().nullable().meta({ description: 'The HQ account; null while the customer is not in HQ ("Pending sync").' }),
    custAccountAsync: z.string().nullable(),
    createdAt: z.iso.datetime(),
    entity: z.enum(ENTITIES),
    operation: z.enum(OPERATION_KINDS),
    status: z.enum(STATUSES),
    lastError: z.string().nullable(),
    attempts: z.int().min(0),
    replicationCounter: z.int().min(0),
    /** Failed and out of automatic retries (or poison): it waits for an operator. */
    waitingForOperator: z.boolean().meta({ description: 'Failed and out of automatic retries (or poison): it waits for an operator.' }),
    poison: z.boolean(),
    sortKey: z.string().meta({ description: '`createdAt|operationId`: the list is newest first by it.' }),
  })
  .meta({ id: 'SyncStatusRow' });
export type SyncStatusRow = z.output<typeof syncStatusRowSchema>;

export function stagedRow(doc: StagedDoc, channelName: string, maxAttempts: number): SyncStatusRow {
  const poison = doc.poison === true;
  return {
    operationId: doc.operationId,
    customerId: doc.customerId,
    channelId: doc.channelId,
    channelName,
    customerAccount: doc.customerAccount,
    custAccountAsync: doc.custAccountAsync,
    createdAt: doc.createdAt,
    entity: doc.entity,
    operation: doc.operation,
    status: doc.status,
    lastError: doc.lastError,
    attempts: doc.attempts,
    replicationCounter: doc.replicationCounter,
    waitingForOperator: doc.status === 'Failed' && (poison || doc.attempts >= maxAttempts),
    poison,
    sortKey: doc.sortKey,
  };
}

export function pendingRow(customer: OutstandingCustomer, op: OperationRecord, channelName: string): SyncStatusRow {
  return {
    operationId: op.operationId,
    customerId: customer.id,
    channelId: customer.channelId,
    channelName,
    customerAccount: customer.accountNumber,
    custAccountAsync: customer.custAccountAsync,
    createdAt: op.createdAt,
    entity: op.entity,
    operation: op.operation,
    status: op.status,
    lastError: op.lastError,
    attempts: op.attempts,
    replicationCounter: op.replicationCounter,
    waitingForOperator: false,
    poison: false,
    sortKey: sortKeyOf(op.createdAt, op.operationId),
  };
}

export function newestFirst(a: SyncStatusRow, b: SyncStatusRow): number {
  return a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0;
}

/** An operation id is a GUID; a poison message's row is `poison-` + its queue message id. */
const POISON_ID = /^poison-[A-Za-z0-9-]{1,100}$/;

export type Located = { source: 'staging'; doc: StagedDoc; etag: string } | { source: 'channel'; customer: ChannelCustomer; record: OperationRecord };

/** Where an operation is: in HQ staging, or still only in its channel customer (Pending). */
export async function locate(operationId: string, staging: Staging, readModel: SyncStatusReadModel): Promise<Located> {
  if (!GUID.test(operationId) && !POISON_ID.test(operationId)) throw notFound(`operation ${operationId.slice(0, 100)}`);
  const staged = await staging.find(operationId);
  if (staged) return { source: 'staging', doc: staged.doc, etag: staged.etag };
  const customer = await readModel.customerWithOperation(operationId);
  // Own keys only: an id like `toString` must not find Object.prototype (the emulator's query
  // engine, plain JS, even answers IS_DEFINED(c.operations["toString"]) with true).
  if (!customer || !Object.hasOwn(customer.operations, operationId)) throw notFound(`operation ${operationId}`);
  return { source: 'channel', customer, record: customer.operations[operationId] };
}

/**
 * The customer as its operations make it (those before `beforeCounter` only, when given), or
 * undefined if they do not replay.
 */
export function replay(operations: Record<string, OperationRecord>, beforeCounter = Infinity): CustomerProfile | undefined {
  try {
    return applyInOrder(
      undefined,
      Object.values(operations).filter((op) => op.replicationCounter < beforeCounter),
    );
  } catch {
    return undefined;
  }
}

/** Staged rows know the account only if the channel did when queuing; the channel knows it now. */
export async function fillAccounts(rows: SyncStatusRow[], readModel: SyncStatusReadModel): Promise<void> {
  const ids = [...new Set(rows.filter((r) => !r.customerAccount && !r.poison).map((r) => r.customerId))];
  if (ids.length === 0) return;
  const accounts = await readModel.accountNumbers(ids);
  for (const row of rows) row.customerAccount ??= accounts.get(row.customerId) ?? null;
}
