/**
 * The storefront's customer operations. Per channel, the functionality profile decides whether
 * a sign-up calls HQ in real time or is queued with a temporary GUID account for the sync job.
 */
import { randomUUID } from 'node:crypto';
import type { AppConfig, Channel, FeatureName } from '../config/settings';
import { featureEffective } from '../config/settings';
import {
  caughtUpWith,
  ChannelCustomer,
  CustomerMode,
  CustomerView,
  enhancedFields,
  hqProfile,
  newChannelCustomer,
  operation,
  outstandingOperations,
  refOf,
  signUpOperations,
  toView,
  withOperations,
} from '../domain/channel-customer';
import { pickCustomerFields } from '../domain/customer';
import { DomainError, HqUnavailableError, notFound } from '../domain/errors';
import { HqCounterTakenError, HqCustomer } from '../domain/hq-customer';
import { customerIdFor, GUID, operationIdFor } from '../domain/identity';
import type { AsyncOperation } from '../domain/operation';
import { addressSchema, customerEditSchema, parseStrict, signUpSchema, SignUpRequest } from '../domain/validation';
import type { ChannelCustomers } from '../ports/channel-customers';
import type { Clock } from '../ports/clock';
import { StaleVersionError, Versioned } from '../ports/errors';
import type { OperationQueue } from '../ports/operation-queue';
import type { HqService } from './hq';

export type SignUpOutcome = 'created' | 'accepted' | 'existing';

export interface CustomerServiceDeps {
  config: Pick<AppConfig, 'channels' | 'profiles' | 'features'>;
  store: ChannelCustomers;
  queue: OperationQueue;
  hq: HqService;
  clock: Clock;
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
    const changes = pickCustomerFields(parseStrict(customerEditSchema, body));
    return this.change(channelId, customerRef, 'AsyncCustomerEditing', idempotencyKey, () => [{ entity: 'Customer', operation: 'Update', payload: changes }]);
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
      throw new DomainError('FeatureNotEnabled', `an async sign-up with ${enhanced.join(', ')} needs the feature EnhancedAsyncCustomerCreation`, {
        feature: 'EnhancedAsyncCustomerCreation',
        fields: enhanced,
      });
    }
    const custAccountAsync = randomUUID();
    const operations = signUpOperations(
      { customerId, channelId: channel.id, custAccountAsync, customerAccount: null },
      request,
      this.deps.clock.now().toISOString(),
    );
    const customer = newChannelCustomer(customerId, channel.id, request, 'async', custAccountAsync, null, operations, 'Pending');

    if (!(await this.deps.store.create(customer))) return this.existing(customerId);
    await this.enqueue(operations);
    return { outcome: 'accepted' as const, customer: toView(customer) };
  }

  private async signUpRealtime(channel: Channel, customerId: string, request: SignUpRequest) {
    const known = await this.deps.store.read(customerId);
    if (known) return { outcome: 'existing' as const, customer: toView(known.doc) };

    const operations = signUpOperations(
      { customerId, channelId: channel.id, custAccountAsync: null, customerAccount: null },
      request,
      this.deps.clock.now().toISOString(),
    );
    const hqCustomer = await this.deps.hq.createCustomerRealtime({ customerId, channelId: channel.id, custAccountAsync: null }, operations);
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
      const now = this.deps.clock.now().toISOString();
      const operations = changes.map((change, i) =>
        operation(customer, {
          ...change,
          operationId: i === 0 ? firstId : randomUUID(),
          replicationCounter: customer.replicationCounter + 1 + i,
          createdAt: now,
        }),
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
        if (!(error instanceof StaleVersionError) || attempt >= OPTIMISTIC_RETRIES) throw error;
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
