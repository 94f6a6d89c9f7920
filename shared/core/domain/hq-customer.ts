/**
 * HQ's customer master record, and HQ's rule for which of a customer's operations can apply now
 * and in what order: a pure function, so the order and exactly-once rules are testable without I/O.
 */
import { applyOperation, CustomerProfile, hqRuleViolation, InvalidOperationError } from './customer';
import type { AsyncOperation } from './operation';

export interface HqCustomer extends CustomerProfile {
  /** The channel customer id: one HQ customer per channel customer, whatever retries happen. */
  id: string;
  accountNumber: string;
  /**
   * Kept from the async customer it was created from; null for one created in real time, until a
   * retried sign-up of it queued in async mode links its async account (see asyncAccountToLink).
   */
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

export type ApplyMode = 'sync' | 'realtime';

/** What HQ's customer becomes once the applicable operations are applied (undefined: nothing applies). */
export interface ApplicationPlan extends ApplyResult {
  /** Applied by this plan, in order; what the write must persist. */
  applied: AsyncOperation[];
  profile: CustomerProfile | undefined;
  appliedCounter: number;
  counterShift: number;
}

/**
 * Which of a customer's operations apply now, in replicationCounter order, each exactly once.
 * Operations already applied are reported completed without being applied again, so a repeated
 * or crashed run converges instead of duplicating.
 *
 * A counter HQ applied for another operation (`lastOperation` differs): a real-time call
 * reached HQ and its channel write failed, so the channel handed the same counter out again.
 * - `realtime`: reported as `counterTaken`; the channel catches up with HQ and retries the call.
 * - `sync` (queued operations, e.g. an address queued while edits go to HQ in real time): the
 *   operation is renumbered after the taken counter, and so are the customer's later queued
 *   operations (`counterShift`). It was accepted (2xx) and nothing it depends on is missing,
 *   so failing it would only strand it: no operator action could give it another counter.
 *   Marking it completed without applying it lost it silently. The shift keeps the order checks
 *   exact: a later operation still waits for its predecessor.
 */
export function planApplication(existing: HqCustomer | undefined, operations: AsyncOperation[], mode: ApplyMode): ApplicationPlan {
  const ops = [...operations].sort((a, b) => a.replicationCounter - b.replicationCounter);
  const plan: ApplicationPlan = {
    customer: existing,
    completed: [],
    failed: undefined,
    waiting: [],
    applied: [],
    profile: existing,
    appliedCounter: existing?.appliedCounter ?? 0,
    counterShift: mode === 'sync' ? (existing?.counterShift ?? 0) : 0,
  };
  if (!existing && ops[0]?.replicationCounter !== 1) {
    plan.waiting = ops.map((operation) => ({ operation, reason: 'waiting for the customer to be created in HQ' }));
    return plan;
  }
  let holder = existing?.lastOperation?.operationId;
  for (const [index, op] of ops.entries()) {
    const counter = plan.appliedCounter;
    let at = op.replicationCounter + plan.counterShift;
    if (at <= counter) {
      const taken = at === counter && holder !== undefined && holder !== op.operationId;
      if (taken && mode === 'realtime') plan.counterTaken ??= op;
      if (!taken || mode === 'realtime') {
        plan.completed.push(op);
        continue;
      }
      plan.counterShift++;
      at++;
    }
    if (at > counter + 1) {
      plan.waiting.push(
        ...ops.slice(index).map((operation) => ({ operation, reason: `waiting for operation #${counter + 1 - plan.counterShift} of this customer` })),
      );
      break;
    }
    try {
      const next = applyOperation(plan.profile, op);
      const violation = hqRuleViolation(next);
      if (violation) throw new HqRejectedError(violation);
      plan.profile = next;
      plan.appliedCounter = at;
      holder = op.operationId;
      plan.applied.push(op);
    } catch (error) {
      if (!(error instanceof HqRejectedError || error instanceof InvalidOperationError)) throw error;
      plan.failed = { operation: op, error: error.message };
      plan.waiting.push(...ops.slice(index + 1).map((operation) => ({ operation, reason: `waiting behind failed operation #${op.replicationCounter}` })));
      break;
    }
  }
  return plan;
}

/**
 * The async account an existing HQ customer must be linked to now, if any. A real-time sign-up can
 * reach HQ (created with no async account) while its channel write fails; the retried sign-up,
 * queued in async mode while HQ is servicing, gives the channel customer a custAccountAsync, and
 * its create finds itself already applied here. HQ records that account, or it could never map it
 * to its account number. An account HQ already holds is kept: it may have been announced with the
 * account number (customer.synced), and replacing it would unlink it.
 */
export function asyncAccountToLink(existing: HqCustomer, ref: CustomerRef): string | undefined {
  return existing.custAccountAsync === null && ref.custAccountAsync !== null ? ref.custAccountAsync : undefined;
}

export function appliedOperation({ operationId, entity, operation }: AsyncOperation): AppliedOperation {
  return { operationId, entity, operation };
}
