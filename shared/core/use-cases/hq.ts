/**
 * HQ: the customer master and its number sequence. Real-time calls (the channel calling HQ
 * directly) are refused while HQ is in servicing; the synchronize job applies staged operations.
 */
import { HqUnavailableError } from '../domain/errors';
import {
  ApplyMode,
  ApplyResult,
  appliedOperation,
  asyncAccountToLink,
  CustomerRef,
  HqCounterTakenError,
  HqCustomer,
  HqRejectedError,
  planApplication,
} from '../domain/hq-customer';
import type { AsyncOperation } from '../domain/operation';
import type { Clock } from '../ports/clock';
import { isWriteConflict } from '../ports/errors';
import type { HqCustomers } from '../ports/hq-customers';
import type { AccountNumbers } from './account-numbers';

export interface HqOptions {
  /** Read on every call, so servicing can be switched on a running app. */
  servicing: () => boolean;
  latencyMs: () => number;
}

/** Conditional-write races HQ retries from a fresh read before giving up. */
const RACE_RETRIES = 3;

export class HqService {
  constructor(
    private readonly customers: HqCustomers,
    private readonly accountNumbers: AccountNumbers,
    private readonly options: HqOptions,
    private readonly clock: Clock,
  ) {}

  /** Whether HQ takes writes now (false while it is servicing). */
  available(): boolean {
    return !this.options.servicing();
  }

  /** Real time: create a customer from its operations at once. Idempotent on the channel customer. */
  async createCustomerRealtime(ref: CustomerRef, operations: AsyncOperation[]): Promise<HqCustomer> {
    await this.realtimeCall();
    const result = await this.applyOperations(ref, operations, 'realtime');
    if (result.failed) throw new HqRejectedError(result.failed.error);
    if (!result.customer) throw new Error('HQ did not create the customer');
    return result.customer;
  }

  /** Real time: apply edits to an existing customer at once. */
  async applyRealtime(ref: CustomerRef, operations: AsyncOperation[]): Promise<HqCustomer> {
    await this.realtimeCall();
    const result = await this.applyOperations(ref, operations, 'realtime');
    if (result.counterTaken) throw new HqCounterTakenError(result.customer!);
    if (result.failed) throw new HqRejectedError(result.failed.error);
    if (result.waiting.length > 0) throw new HqRejectedError(result.waiting[0].reason);
    return result.customer!;
  }

  async getCustomer(customerId: string): Promise<HqCustomer | undefined> {
    return (await this.customers.read(customerId))?.doc;
  }

  /**
   * The synchronize job's core: apply what `planApplication` says applies now, with one
   * conditional write. A lost race (a repeated activity, a concurrent Synchronize wrote first)
   * starts over from what HQ now holds, which marks their work completed instead of applying it twice.
   */
  async applyOperations(ref: CustomerRef, operations: AsyncOperation[], mode: ApplyMode = 'sync', attempt = 0): Promise<ApplyResult> {
    // A create needs no read on the first try: the store refuses a second customer with the same id.
    const startsWithCreate = operations.some((op) => op.replicationCounter === 1);
    const existing = startsWithCreate && attempt === 0 ? undefined : await this.customers.read(ref.customerId);
    const plan = planApplication(existing?.doc, operations, mode);
    const { applied, profile, appliedCounter, counterShift, ...result } = plan;
    // Rare (see asyncAccountToLink): the normal path neither reads nor writes more for it.
    const link = existing && asyncAccountToLink(existing.doc, ref);
    if (applied.length === 0 && !link) return result;

    const now = this.clock.now().toISOString();
    try {
      if (existing) {
        const custAccountAsync = link ?? existing.doc.custAccountAsync;
        // After a real-time call the channel and HQ number alike again (the channel caught up first).
        const doc: HqCustomer =
          applied.length === 0
            ? { ...existing.doc, custAccountAsync, updatedAt: now }
            : {
                ...existing.doc,
                ...profile!,
                custAccountAsync,
                appliedCounter,
                lastOperation: appliedOperation(applied.at(-1)!),
                counterShift,
                updatedAt: now,
              };
        result.customer = await this.customers.replace(doc, existing.etag);
      } else {
        result.customer = await this.customers.create({
          ...profile!,
          id: ref.customerId,
          accountNumber: await this.accountNumbers.next(),
          custAccountAsync: ref.custAccountAsync,
          channelId: ref.channelId,
          appliedCounter,
          lastOperation: appliedOperation(applied.at(-1)!),
          createdAt: now,
          updatedAt: now,
        });
      }
    } catch (error) {
      if (!isWriteConflict(error) || attempt >= RACE_RETRIES) throw error;
      return this.applyOperations(ref, operations, mode, attempt + 1);
    }
    result.completed.push(...applied);
    return result;
  }

  private async realtimeCall(): Promise<void> {
    const latency = this.options.latencyMs();
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    if (this.options.servicing()) throw new HqUnavailableError();
  }
}
