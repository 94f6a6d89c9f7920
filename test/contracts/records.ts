/**
 * Records for the contract suites: valid domain records with just the fields a test is about
 * set, so each test reads as the query or write it proves.
 */
import { randomUUID } from 'node:crypto';
import type { ChannelCustomer } from '../../shared/core/domain/channel-customer';
import type { HqCustomer } from '../../shared/core/domain/hq-customer';
import { AsyncOperation, OperationRecord, StagedOperation, toStaged } from '../../shared/core/domain/operation';
import { newRun, SyncRun } from '../../shared/core/domain/sync-run';
import { newDelivery, syncedDeliveryId, WebhookDelivery } from '../../shared/core/domain/webhook';

export const at = (minute: number) => new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString();

const profile = {
  customerType: 'Person' as const,
  firstName: 'Ada',
  lastName: 'Lovelace',
  email: 'ada@example.com',
  addresses: [],
  contacts: [],
  affiliations: [],
  attributes: {},
  active: true,
};

export function operationRecord(overrides: Partial<OperationRecord> = {}): OperationRecord {
  return {
    operationId: randomUUID(),
    entity: 'Customer',
    operation: 'Create',
    replicationCounter: 1,
    status: 'Pending',
    createdAt: at(0),
    uploadedAt: null,
    completedAt: null,
    attempts: 0,
    lastError: null,
    payload: { firstName: 'Ada' },
    ...overrides,
  };
}

/** An async customer with one operation HQ has not applied (outstanding), unless told otherwise. */
export function channelCustomer(overrides: Partial<ChannelCustomer> = {}): ChannelCustomer {
  const first = operationRecord();
  return {
    ...profile,
    id: randomUUID(),
    channelId: 'FABRIKAM',
    externalIdentity: { provider: 'b2c', id: randomUUID() },
    custAccountAsync: randomUUID(),
    accountNumber: null,
    mode: 'async',
    replicationCounter: 1,
    hqAppliedCounter: 0,
    operations: { [first.operationId]: first },
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

export function hqCustomer(overrides: Partial<HqCustomer> = {}): HqCustomer {
  return {
    ...profile,
    id: randomUUID(),
    accountNumber: 'C000000001',
    custAccountAsync: randomUUID(),
    channelId: 'FABRIKAM',
    appliedCounter: 1,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

export function asyncOperation(overrides: Partial<AsyncOperation> = {}): AsyncOperation {
  return {
    operationId: randomUUID(),
    customerId: randomUUID(),
    channelId: 'FABRIKAM',
    custAccountAsync: randomUUID(),
    customerAccount: null,
    entity: 'Customer',
    operation: 'Create',
    replicationCounter: 1,
    payload: { firstName: 'Ada' },
    createdAt: at(0),
    email: 'ada@example.com',
    ...overrides,
  };
}

/** A staged operation as upload stages it (Uploaded), with `overrides` on top (sortKey follows createdAt). */
export function stagedOperation(operation: Partial<AsyncOperation> = {}, overrides: Partial<StagedOperation> & { poison?: true } = {}): StagedOperation {
  return { ...toStaged(asyncOperation(operation), at(0)), ...overrides };
}

export function syncRun(startedAt: string, overrides: Partial<SyncRun> = {}): SyncRun {
  return { ...newRun(randomUUID(), `instance-${randomUUID()}`, 'test', startedAt), ...overrides };
}

/** A Pending customer.synced delivery for a fresh customer of `channelId`, created and due at `createdAt`. */
export function webhookDelivery(channelId = 'FABRIKAM', createdAt = at(0), overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  const event = {
    type: 'customer.synced' as const,
    timestamp: createdAt,
    data: { channelId, customerId: randomUUID(), custAccountAsync: randomUUID(), accountNumber: 'C000000001' },
  };
  return { ...newDelivery(syncedDeliveryId(randomUUID()), event, createdAt), ...overrides };
}
