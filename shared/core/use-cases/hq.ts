/**
 * HQ: the customer master and its number sequence. Real-time calls (the channel calling HQ
 * directly) are refused while HQ is in servicing; the synchronize job applies staged operations.
 */
import type { Container } from '@azure/cosmos';
import { applyOperation, CustomerProfile, hqRuleViolation, InvalidOperationError } from '../domain/customer';
import { HqUnavailableError } from '../domain/errors';
import type { AsyncOperation } from '../domain/operation';
import { isConflict, isPreconditionFailed, readVersioned, stripSystem } from '../../adapters/cosmos/documents';
import type { NumberSequence } from './account-numbers';

export interface HqCustomer extends CustomerProfile {
  /** The channel customer id: one HQ customer per channel customer, whatever retries happen. */
  id: string;
  accountNumber: string;
  /** Kept from the async customer it was created from; null for one created in real time. */
  custAccountAsync: string | null;
  channelId: string;
  /** The replicationCounter of the last operation applied: the next one must be exactly +1. */
  appliedCounter: number;
  /**
   * The operation that took `appliedCounter`. A real-time call that reached HQ but whose channel
   * write failed leaves HQ one counter ahead of the channel; the channel's next operation then
   * carries the same counter with another id, and must not be taken for "already applied". The
   * entity and kind let the channel record that operation when it catches up (so a retry of it
   * with its Idempotency-Key is recognised rather than applied a second time).
   */
  lastOperation?: AppliedOperation;
  /**
   * HQ counters taken by real-time calls the channel never recorded (the call reached HQ, its
   * channel write failed), as seen by queued operations: the channel's counter c is HQ's c + shift.
   * Set when a queued operation arrives at a counter such a call took (see applyOperations); back
   * to 0 when a real-time call succeeds, because the channel then catches up with HQ first.
   */
  counterShift?: number;
  createdAt: string;
  updatedAt: string;
}

export type AppliedOperation = Pick<AsyncOperation, 'operationId' | 'entity' | 'operation'>;

export interface CustomerRef {
  customerId: string;
  channelId: string;
  custAccountAsync: string | null;
}

/** What applying a customer's outstanding operations did to each of them. */
export interface ApplyResult {
  customer: HqCustomer | undefined;
  /** Applied now, or found already applied by an earlier (crashed or repeated) run. */
  completed: AsyncOperation[];
  failed: { operation: AsyncOperation; error: string } | undefined;
  /** Not applied: behind a failed operation, or a predecessor has not reached HQ yet. */
  waiting: { operation: AsyncOperation; reason: string }[];
  /** An operation whose counter HQ had already applied for a different operation (see lastOperation). */
  counterTaken?: AsyncOperation;
}

export class HqRejectedError extends Error {}

/** HQ is ahead of the channel: the counter the channel used was taken by an earlier real-time call. */
export class HqCounterTakenError extends Error {
  constructor(readonly customer: HqCustomer) {
    super(`HQ already applied operation #${customer.appliedCounter} of customer ${customer.id} from another request`);
  }
}

export interface HqOptions {
  servicing: () => boolean;
  latencyMs: () => number;
}

export class HqService {
  constructor(
    private readonly customers: Container,
    private readonly accountNumbers: NumberSequence,
    private readonly options: HqOptions,
  ) {}

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
    return (await readVersioned<HqCustomer>(this.customers, customerId, customerId))?.doc;
  }

  /**
   * The synchronize job's core: apply a customer's operations in replicationCounter order, each
   * exactly once. Operations already applied are reported completed without being applied again,
   * so a repeated or crashed run converges instead of duplicating.
   *
   * A counter HQ applied for another operation (`lastOperation` differs): a real-time call
   * reached HQ and its channel write failed, so the channel handed the same counter out again.
   * - `realtime`: reported as `counterTaken`; the channel catches up with HQ and retries the call.
   * - `sync` (queued operations, e.g. an address queued while edits go to HQ in real time): the
   *   operation is renumbered after the taken counter, and so are the customer's later queued
   *   operations (`counterShift`). It was accepted (2xx) and nothing it depends on is missing,
   *   so failing it would only strand it: no operator action could give it another counter.
   *   Marking it completed without applying it (what happened before) lost it silently. The
   *   shift keeps the order checks exact: a later operation still waits for its predecessor.
   */
  async applyOperations(ref: CustomerRef, operations: AsyncOperation[], mode: 'sync' | 'realtime' = 'sync', attempt = 0): Promise<ApplyResult> {
    const ops = [...operations].sort((a, b) => a.replicationCounter - b.replicationCounter);
    const startsWithCreate = ops[0]?.replicationCounter === 1;
    // A create needs no read on the first try: Cosmos refuses a second document with the same id.
    const existing = startsWithCreate && attempt === 0 ? undefined : await readVersioned<HqCustomer>(this.customers, ref.customerId, ref.customerId);
    if (!existing && !startsWithCreate) {
      return {
        customer: undefined,
        completed: [],
        failed: undefined,
        waiting: ops.map((operation) => ({ operation, reason: 'waiting for the customer to be created in HQ' })),
      };
    }

    const result: ApplyResult = { customer: existing?.doc, completed: [], failed: undefined, waiting: [] };
    let profile: CustomerProfile | undefined = existing?.doc;
    let counter = existing?.doc.appliedCounter ?? 0;
    let holder = existing?.doc.lastOperation?.operationId;
    let shift = mode === 'sync' ? (existing?.doc.counterShift ?? 0) : 0;
    const applied: AsyncOperation[] = [];
    for (const [index, op] of ops.entries()) {
      let at = op.replicationCounter + shift;
      if (at <= counter) {
        const taken = at === counter && holder !== undefined && holder !== op.operationId;
        if (taken && mode === 'realtime') result.counterTaken ??= op;
        if (!taken || mode === 'realtime') {
          result.completed.push(op);
          continue;
        }
        shift++;
        at++;
      }
      if (at > counter + 1) {
        result.waiting.push(
          ...ops.slice(index).map((operation) => ({ operation, reason: `waiting for operation #${counter + 1 - shift} of this customer` })),
        );
        break;
      }
      try {
        const next = applyOperation(profile, op);
        const violation = hqRuleViolation(next);
        if (violation) throw new HqRejectedError(violation);
        profile = next;
        counter = at;
        holder = op.operationId;
        applied.push(op);
      } catch (error) {
        if (!(error instanceof HqRejectedError || error instanceof InvalidOperationError)) throw error;
        result.failed = { operation: op, error: error.message };
        result.waiting.push(
          ...ops.slice(index + 1).map((operation) => ({ operation, reason: `waiting behind failed operation #${op.replicationCounter}` })),
        );
        break;
      }
    }
    if (applied.length === 0) return result;

    const now = new Date().toISOString();
    try {
      if (existing) {
        // After a real-time call the channel and HQ number alike again (the channel caught up first).
        const doc: HqCustomer = { ...existing.doc, ...profile!, appliedCounter: counter, lastOperation: appliedOperation(applied.at(-1)!), counterShift: shift, updatedAt: now };
        const { resource } = await this.customers
          .item(doc.id, doc.id)
          .replace<HqCustomer>(doc, { accessCondition: { type: 'IfMatch', condition: existing.etag } });
        result.customer = stripSystem(resource!);
      } else {
        const doc: HqCustomer = {
          ...profile!,
          id: ref.customerId,
          accountNumber: await this.accountNumbers.next(),
          custAccountAsync: ref.custAccountAsync,
          channelId: ref.channelId,
          appliedCounter: counter,
          lastOperation: appliedOperation(applied.at(-1)!),
          createdAt: now,
          updatedAt: now,
        };
        const { resource } = await this.customers.items.create<HqCustomer>(doc);
        result.customer = stripSystem(resource!);
      }
    } catch (error) {
      // Someone else (a repeated activity, a concurrent Synchronize) wrote first: start over from
      // what HQ now holds, which marks their work completed instead of applying it twice.
      const raced = isConflict(error) || isPreconditionFailed(error);
      if (!raced || attempt >= 3) throw error;
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

function appliedOperation({ operationId, entity, operation }: AsyncOperation): AppliedOperation {
  return { operationId, entity, operation };
}
