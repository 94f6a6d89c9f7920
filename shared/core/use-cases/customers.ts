/**
 * The storefront's customer operations. Per channel, the functionality profile decides whether
 * a sign-up calls HQ in real time or is queued with a temporary GUID account for the sync job.
 */
import { randomUUID } from 'node:crypto';
import type { AppConfig, Channel, FeatureName } from '../config/settings';
import { featureEffective } from '../config/settings';
import { applyInOrder, CustomerFields, CustomerProfile, pickCustomerFields } from '../domain/customer';
import { DomainError, HqUnavailableError, notFound } from '../domain/errors';
import { customerIdFor, GUID, operationIdFor, signUpOperationId } from '../domain/identity';
import { AsyncOperation, Entity, leastAdvanced, OperationKind, OperationRecord, SyncStatus } from '../domain/operation';
import {
  addressSchema,
  customerEditSchema,
  parseStrict,
  signUpSchema,
  SignUpRequest,
} from '../domain/validation';
import { AppliedOperation, HqCounterTakenError, HqCustomer, HqService } from './hq';
import { isPreconditionFailed } from '../../adapters/cosmos/documents';
import type { ChannelCustomer, ChannelStore, CustomerMode, Versioned } from '../../adapters/cosmos/channel-customers';
import type { OperationQueue } from '../../adapters/queue/operation-queue';

/** What the storefront sees of a customer. */
export interface CustomerView extends CustomerProfile {
  customerId: string;
  channelId: string;
  accountNumber: string | null;
  custAccountAsync: string | null;
  mode: CustomerMode;
  syncStatus: SyncStatus;
  createdAt: string;
  uploadedAt: string | null;
  syncedAt: string | null;
  operations: Omit<OperationRecord, 'payload'>[];
}

export type SignUpOutcome = 'created' | 'accepted' | 'existing';

export interface CustomerServiceDeps {
  config: Pick<AppConfig, 'channels' | 'profiles' | 'features'>;
  store: ChannelStore;
  queue: OperationQueue;
  hq: HqService;
  log?: (message: string) => void;
}

const OPTIMISTIC_RETRIES = 5;

export class CustomerService {
  constructor(private readonly deps: CustomerServiceDeps) {}

  async signUp(channelId: string, body: unknown): Promise<{ outcome: SignUpOutcome; customer: CustomerView }> {
    const channel = this.channel(channelId);
    const request = parseStrict(signUpSchema, body);
    const profile = this.deps.config.profiles.get(channel.functionalityProfile)!;
    const customerId = customerIdFor(channelId, request.externalIdentity);

    if (profile.createCustomerInAsyncMode) return this.signUpAsync(channel, customerId, request);
    try {
      return await this.signUpRealtime(channel, customerId, request);
    } catch (error) {
      if (!(error instanceof HqUnavailableError) || !profile.fallbackToAsyncWhenHqUnavailable) throw error;
      this.deps.log?.(`HQ unavailable; channel ${channelId} falls back to async for customer ${customerId}`);
      return this.signUpAsync(channel, customerId, request);
    }
  }

  async get(channelId: string, customerRef: string): Promise<CustomerView> {
    return toView((await this.find(channelId, customerRef)).doc);
  }

  /** PATCH: async when AsyncCustomerEditing is effective, otherwise a real-time HQ call. */
  async edit(channelId: string, customerRef: string, body: unknown, idempotencyKey?: string) {
    this.channel(channelId);
    const changes = pickCustomerFields(parseStrict(customerEditSchema, body) as Partial<CustomerFields>);
    return this.change(channelId, customerRef, 'AsyncCustomerEditing', idempotencyKey, () => [
      { entity: 'Customer', operation: 'Update', payload: changes },
    ]);
  }

  /** Add address: async when AsyncCustomerAddressCreation is effective, for sync and async customers alike. */
  async addAddress(channelId: string, customerRef: string, body: unknown, idempotencyKey?: string) {
    this.channel(channelId);
    const address = parseStrict(addressSchema, body);
    return this.change(channelId, customerRef, 'AsyncCustomerAddressCreation', idempotencyKey, () => [
      { entity: 'Address', operation: 'Create', payload: { addressId: randomUUID(), ...address } },
    ]);
  }

  private async signUpAsync(channel: Channel, customerId: string, request: SignUpRequest) {
    const enhanced = enhancedFields(request);
    if (enhanced.length > 0 && !featureEffective(this.deps.config, 'EnhancedAsyncCustomerCreation')) {
      throw new DomainError(
        'FeatureNotEnabled',
        `an async sign-up with ${enhanced.join(', ')} needs the feature EnhancedAsyncCustomerCreation`,
        { feature: 'EnhancedAsyncCustomerCreation', fields: enhanced },
      );
    }
    const custAccountAsync = randomUUID();
    const operations = signUpOperations({ customerId, channelId: channel.id, custAccountAsync, customerAccount: null }, request);
    const customer = newChannelCustomer(customerId, channel.id, request, 'async', custAccountAsync, null, operations, 'Pending');

    if (!(await this.deps.store.create(customer))) return this.existing(customerId);
    await this.enqueue(operations);
    return { outcome: 'accepted' as const, customer: toView(customer) };
  }

  private async signUpRealtime(channel: Channel, customerId: string, request: SignUpRequest) {
    const known = await this.deps.store.read(customerId);
    if (known) return { outcome: 'existing' as const, customer: toView(known.doc) };

    const operations = signUpOperations({ customerId, channelId: channel.id, custAccountAsync: null, customerAccount: null }, request);
    const hqCustomer = await this.deps.hq.createCustomerRealtime(
      { customerId, channelId: channel.id, custAccountAsync: null },
      operations,
    );
    // When an earlier attempt created the customer in HQ and then failed before the channel write,
    // HQ keeps that attempt's values (its address ids, its counters): the channel mirrors HQ.
    const created = newChannelCustomer(customerId, channel.id, request, 'realtime', null, hqCustomer.accountNumber, operations, 'Completed');
    const customer = caughtUpWith(created, hqCustomer, created.createdAt);
    if (!(await this.deps.store.create(customer))) return this.existing(customerId);
    return { outcome: 'created' as const, customer: toView(customer) };
  }

  /**
   * A retried sign-up: answer with the customer already there. If its operations are still
   * pending, queue them again: the first attempt may have died between its two writes, and
   * upload ignores operations it already has.
   */
  private async existing(customerId: string) {
    const found = await this.deps.store.read(customerId);
    if (!found) throw new Error(`customer ${customerId} vanished during sign-up`);
    const pending = outstandingOperations(found.doc).filter((op) => found.doc.operations[op.operationId].status === 'Pending');
    await this.enqueue(pending);
    return { outcome: 'existing' as const, customer: toView(found.doc) };
  }

  private async change(
    channelId: string,
    customerRef: string,
    asyncFeature: FeatureName,
    idempotencyKey: string | undefined,
    build: () => Pick<AsyncOperation, 'entity' | 'operation' | 'payload'>[],
  ): Promise<{ mode: CustomerMode; customer: CustomerView }> {
    const asyncMode = featureEffective(this.deps.config, asyncFeature);
    const changes = build();
    for (let attempt = 0; ; attempt++) {
      const current = await this.find(channelId, customerRef);
      const customer = current.doc;
      const firstId = operationIdFor(customer.id, idempotencyKey);
      if (idempotencyKey && customer.operations[firstId]) {
        // The same request again: it was accepted before; make sure it is queued, change nothing.
        const mine = outstandingOperations(customer).filter((op) => op.operationId === firstId);
        if (asyncMode) await this.enqueue(mine);
        return { mode: asyncMode ? 'async' : 'realtime', customer: toView(customer) };
      }
      const now = new Date().toISOString();
      const operations = changes.map((change, i) =>
        operation(customer, { ...change, operationId: i === 0 ? firstId : randomUUID(), replicationCounter: customer.replicationCounter + 1 + i, createdAt: now }),
      );
      try {
        if (asyncMode) {
          const updated = await this.deps.store.replace(withOperations(customer, operations, 'Pending', now), current.etag);
          await this.enqueue(operations);
          return { mode: 'async', customer: toView(updated.doc) };
        }
        if (!customer.accountNumber || customer.hqAppliedCounter < customer.replicationCounter) {
          throw new DomainError('CustomerPendingSync', 'the customer is not in HQ yet (pending sync); try again after the next sync run', {
            customerId: customer.id,
          });
        }
        let hqCustomer: HqCustomer;
        try {
          hqCustomer = await this.deps.hq.applyRealtime(refOf(customer), operations);
        } catch (error) {
          if (!(error instanceof HqCounterTakenError) || attempt >= OPTIMISTIC_RETRIES) throw error;
          // An earlier real-time call reached HQ but its channel write failed (the client got a
          // 5xx): HQ is one counter ahead. Catch the channel up with HQ, the master in real-time
          // mode, then apply this request at the next counter instead of losing it.
          await this.deps.store.replace(caughtUpWith(customer, error.customer, now), current.etag);
          continue;
        }
        // HQ's values, not the local computation: a retry of a call that already reached HQ must
        // show what HQ holds (e.g. the address id it stored), not a second, unsaved version.
        const updated = { ...withOperations(customer, operations, 'Completed', now), ...hqProfile(hqCustomer) };
        updated.hqAppliedCounter = hqCustomer.appliedCounter;
        const saved = await this.deps.store.replace(updated, current.etag);
        return { mode: 'realtime', customer: toView(saved.doc) };
      } catch (error) {
        if (!isPreconditionFailed(error) || attempt >= OPTIMISTIC_RETRIES) throw error;
      }
    }
  }

  private async enqueue(operations: AsyncOperation[]): Promise<void> {
    await Promise.all(operations.map((op) => this.deps.queue.send(op)));
  }

  private channel(channelId: string): Channel {
    const channel = this.deps.config.channels.get(channelId);
    if (!channel) throw notFound(`channel ${channelId}`);
    return channel;
  }

  private async find(channelId: string, customerRef: string): Promise<Versioned<ChannelCustomer>> {
    this.channel(channelId);
    const found = GUID.test(customerRef)
      ? await this.deps.store.read(customerRef.toLowerCase())
      : await this.deps.store.findByAccountNumber(channelId, customerRef);
    if (!found || found.doc.channelId !== channelId) throw notFound(`customer ${customerRef} in channel ${channelId}`);
    return found;
  }
}

/**
 * The channel's customer caught up with HQ, the master in real-time mode: HQ's values and counter.
 * The operation HQ applied last is recorded if the channel never did (a real-time call that
 * reached HQ and then failed), so a retry of it with its Idempotency-Key finds it.
 */
function caughtUpWith(customer: ChannelCustomer, hq: HqCustomer, now: string): ChannelCustomer {
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
function takenRecord(taken: AppliedOperation, replicationCounter: number, now: string): OperationRecord {
  return { ...taken, replicationCounter, status: 'Completed', createdAt: now, uploadedAt: null, completedAt: now, attempts: 0, lastError: null, payload: {} };
}

/** The customer's values as HQ holds them (without HQ's bookkeeping). */
function hqProfile(hq: HqCustomer): CustomerProfile {
  const { id: _id, accountNumber: _a, custAccountAsync: _c, channelId: _ch, appliedCounter: _ac, lastOperation: _l, counterShift: _s, createdAt: _cr, updatedAt: _u, ...profile } = hq;
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

interface OperationRef {
  customerId: string;
  channelId: string;
  custAccountAsync: string | null;
  customerAccount: string | null;
}

/** A sign-up becomes the customer's create, then one operation per address, contact, affiliation, attribute. */
export function signUpOperations(ref: OperationRef, request: SignUpRequest): AsyncOperation[] {
  const createdAt = new Date().toISOString();
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
    operation: 'Create' as OperationKind,
    replicationCounter: i + 1,
    payload,
    createdAt,
    email: fields.email,
  }));
}

function operation(
  customer: ChannelCustomer,
  op: Pick<AsyncOperation, 'entity' | 'operation' | 'payload' | 'operationId' | 'replicationCounter' | 'createdAt'>,
): AsyncOperation {
  return { ...refOf(customer), customerAccount: customer.accountNumber, email: customer.email, ...op };
}

function refOf(customer: ChannelCustomer) {
  return { customerId: customer.id, channelId: customer.channelId, custAccountAsync: customer.custAccountAsync };
}

function record(op: AsyncOperation, status: SyncStatus, now: string): OperationRecord {
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

function newChannelCustomer(
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
function withOperations(customer: ChannelCustomer, operations: AsyncOperation[], status: SyncStatus, now: string): ChannelCustomer {
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
  const { id, externalIdentity: _identity, replicationCounter: _rc, hqAppliedCounter: _hq, operations: _ops, updatedAt: _u, reconciledCounter: _rec, ...rest } = customer;
  return {
    ...rest,
    customerId: id,
    syncStatus: leastAdvanced(operations.map((op) => op.status)),
    uploadedAt: create?.uploadedAt ?? null,
    syncedAt: customer.accountNumber ? (create?.completedAt ?? null) : null,
    operations,
  };
}
