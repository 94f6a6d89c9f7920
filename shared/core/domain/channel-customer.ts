/**
 * The channel's customer as an aggregate: how a sign-up creates it, how operations are added to it,
 * how it catches up with HQ, which of its operations are outstanding, and what the storefront sees.
 * Pure functions over plain records; the use cases load and store it through the ports.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { applyInOrder, CustomerProfile, customerProfileSchema } from './customer';
import type { AppliedOperation, HqCustomer } from './hq-customer';
import type { ExternalIdentity } from './identity';
import { signUpOperationId } from './identity';
import { AsyncOperation, Entity, leastAdvanced, OperationRecord, operationRecordSchema, STATUSES, SyncStatus } from './operation';
import type { SignUpRequest } from './validation';

export type CustomerMode = CustomerView['mode'];

/** The channel's customer: its current values as the storefront sees them, and its operations. */
export interface ChannelCustomer extends CustomerProfile {
  id: string;
  channelId: string;
  /** Null for a customer the channel lost and got back from HQ, which does not keep it (use-cases/distribute.ts). */
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

/** What the storefront sees of a customer (GET of one customer, sign-up, edits, search). */
export const customerViewSchema = customerProfileSchema
  .extend({
    customerId: z.uuid(),
    channelId: z.string(),
    accountNumber: z.string().nullable().meta({ description: 'The HQ account number; null until the customer is synchronized ("Pending sync").' }),
    custAccountAsync: z.uuid().nullable().meta({ description: 'The temporary GUID account of a customer created in async mode; null for real time.' }),
    mode: z.enum(['async', 'realtime']),
    syncStatus: z.enum(STATUSES).meta({ description: 'The least advanced status of its operations; Failed wins.' }),
    createdAt: z.iso.datetime(),
    uploadedAt: z.iso.datetime().nullable(),
    syncedAt: z.iso.datetime().nullable(),
    operations: z.array(operationRecordSchema.omit({ payload: true })),
  })
  .meta({ id: 'Customer' });
export type CustomerView = z.output<typeof customerViewSchema>;

/**
 * The channel's customer caught up with HQ, the master in real-time mode: HQ's values and counter.
 * The operation HQ applied last is recorded if the channel never did (a real-time call that
 * reached HQ and then failed), so a retry of it with its Idempotency-Key finds it.
 */
export function caughtUpWith(customer: ChannelCustomer, hq: HqCustomer, now: string): ChannelCustomer {
  const taken = hq.lastOperation;
  return {
    ...customer,
    ...hqProfile(hq),
    replicationCounter: hq.appliedCounter,
    hqAppliedCounter: hq.appliedCounter,
    operations:
      taken && !customer.operations[taken.operationId]
        ? { ...customer.operations, [taken.operationId]: takenRecord(taken, hq.appliedCounter, now) }
        : customer.operations,
    updatedAt: now,
  };
}

/** A channel record of an operation HQ applied in real time but the channel never recorded. */
export function takenRecord(taken: AppliedOperation, replicationCounter: number, now: string): OperationRecord {
  return { ...taken, replicationCounter, status: 'Completed', createdAt: now, uploadedAt: null, completedAt: now, attempts: 0, lastError: null, payload: {} };
}

/** The customer's values as HQ holds them (without HQ's bookkeeping). */
export function hqProfile(hq: HqCustomer): CustomerProfile {
  const {
    id: _id,
    accountNumber: _a,
    custAccountAsync: _c,
    channelId: _ch,
    appliedCounter: _ac,
    lastOperation: _l,
    counterShift: _s,
    createdAt: _cr,
    updatedAt: _u,
    ...profile
  } = hq;
  return profile;
}

/** Fields that only EnhancedAsyncCustomerCreation lets an async sign-up carry. */
export function enhancedFields(request: SignUpRequest): string[] {
  const fields: string[] = [];
  if (request.title) fields.push('title');
  if (request.contacts.some((c) => c.type !== 'Url' && !c.isPrimary)) fields.push('secondary email/phone contacts');
  if (request.affiliations.length > 0) fields.push('affiliations');
  return fields;
}

export interface OperationRef {
  customerId: string;
  channelId: string;
  custAccountAsync: string | null;
  customerAccount: string | null;
}

/** A sign-up becomes the customer's create, then one operation per address, contact, affiliation, attribute. */
export function signUpOperations(ref: OperationRef, request: SignUpRequest, createdAt: string): AsyncOperation[] {
  const { externalIdentity: _identity, addresses, contacts, affiliations, attributes, ...fields } = request;
  const parts: [Entity, Record<string, unknown>][] = [
    ['Customer', fields],
    ...addresses.map((a): [Entity, Record<string, unknown>] => ['Address', { addressId: randomUUID(), ...a }]),
    ...contacts.map((c): [Entity, Record<string, unknown>] => ['Contact', { contactId: randomUUID(), ...c }]),
    ...affiliations.map((a): [Entity, Record<string, unknown>] => ['Affiliation', { ...a }]),
    ...attributes.map((a): [Entity, Record<string, unknown>] => ['Attribute', { ...a }]),
  ];
  return parts.map(([entity, payload], i) => ({
    operationId: signUpOperationId(ref.customerId, i + 1),
    ...ref,
    entity,
    operation: 'Create',
    replicationCounter: i + 1,
    payload,
    createdAt,
    email: fields.email,
  }));
}

export function operation(
  customer: ChannelCustomer,
  op: Pick<AsyncOperation, 'entity' | 'operation' | 'payload' | 'operationId' | 'replicationCounter' | 'createdAt'>,
): AsyncOperation {
  return { ...refOf(customer), customerAccount: customer.accountNumber, email: customer.email, ...op };
}

export function refOf(customer: ChannelCustomer) {
  return { customerId: customer.id, channelId: customer.channelId, custAccountAsync: customer.custAccountAsync };
}

export function record(op: AsyncOperation, status: SyncStatus, now: string): OperationRecord {
  return {
    operationId: op.operationId,
    entity: op.entity,
    operation: op.operation,
    replicationCounter: op.replicationCounter,
    status,
    createdAt: op.createdAt,
    uploadedAt: null,
    completedAt: status === 'Completed' ? now : null,
    attempts: 0,
    lastError: null,
    payload: op.payload,
  };
}

export function newChannelCustomer(
  customerId: string,
  channelId: string,
  request: SignUpRequest,
  mode: CustomerMode,
  custAccountAsync: string | null,
  accountNumber: string | null,
  operations: AsyncOperation[],
  status: SyncStatus,
): ChannelCustomer {
  const now = operations[0].createdAt;
  const profile = applyInOrder(undefined, operations)!;
  return {
    ...profile,
    id: customerId,
    channelId,
    externalIdentity: request.externalIdentity,
    custAccountAsync,
    accountNumber,
    mode,
    replicationCounter: operations.length,
    hqAppliedCounter: status === 'Completed' ? operations.length : 0,
    operations: Object.fromEntries(operations.map((op) => [op.operationId, record(op, status, now)])),
    createdAt: now,
    updatedAt: now,
  };
}

/** The customer with new operations applied to the channel's view at once. */
export function withOperations(customer: ChannelCustomer, operations: AsyncOperation[], status: SyncStatus, now: string): ChannelCustomer {
  const profile = applyInOrder(customer, operations)!;
  const records = Object.fromEntries(operations.map((op) => [op.operationId, record(op, status, now)]));
  return {
    ...customer,
    ...profile,
    replicationCounter: customer.replicationCounter + operations.length,
    operations: { ...customer.operations, ...records },
    updatedAt: now,
  };
}

/** The operations HQ has not applied yet, rebuilt from the channel's records so they can be queued again. */
export function outstandingOperations(customer: ChannelCustomer): AsyncOperation[] {
  return Object.values(customer.operations)
    .filter((op) => op.replicationCounter > customer.hqAppliedCounter && op.status !== 'Completed')
    .map((op) => ({
      ...refOf(customer),
      customerAccount: customer.accountNumber,
      email: customer.email,
      operationId: op.operationId,
      entity: op.entity,
      operation: op.operation,
      replicationCounter: op.replicationCounter,
      payload: op.payload,
      createdAt: op.createdAt,
    }));
}

export function toView(customer: ChannelCustomer): CustomerView {
  const operations = Object.values(customer.operations)
    .sort((a, b) => a.replicationCounter - b.replicationCounter)
    .map(({ payload: _payload, ...op }) => op);
  const create = operations[0];
  const {
    id,
    externalIdentity: _identity,
    replicationCounter: _rc,
    hqAppliedCounter: _hq,
    operations: _ops,
    updatedAt: _u,
    reconciledCounter: _rec,
    ...rest
  } = customer;
  return {
    ...rest,
    customerId: id,
    syncStatus: leastAdvanced(operations.map((op) => op.status)),
    uploadedAt: create?.uploadedAt ?? null,
    syncedAt: customer.accountNumber ? (create?.completedAt ?? null) : null,
    operations,
  };
}

/** A channel customer rebuilt from HQ's record (the customer master), with the operations just distributed. */
export function restoredFromHq(hq: HqCustomer, appliedCounter: number, records: OperationRecord[], now: string): ChannelCustomer {
  const { id, accountNumber, custAccountAsync, channelId, appliedCounter: _a, lastOperation: _l, counterShift: _s, createdAt, updatedAt: _u, ...profile } = hq;
  return {
    ...profile,
    id,
    channelId,
    // HQ does not keep the storefront identity; the id is derived from it, so a retried sign-up still finds this customer.
    externalIdentity: null,
    custAccountAsync,
    accountNumber,
    mode: custAccountAsync ? 'async' : 'realtime',
    replicationCounter: appliedCounter,
    hqAppliedCounter: appliedCounter,
    operations: Object.fromEntries(records.map((op) => [op.operationId, op])),
    createdAt,
    updatedAt: now,
  };
}
