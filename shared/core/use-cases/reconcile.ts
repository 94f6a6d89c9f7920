/**
 * Reconciliation: the channel's record of an operation is the source of truth, the queue message
 * only a notification. A sign-up or an edit writes the channel document first and then sends the
 * message; if the process dies (or the send fails) in between, the client gets a 5xx and the
 * operation is Pending in the channel but in no queue. A client that retries with the same
 * identity or Idempotency-Key re-sends it; one that never retries, or retries an edit without a
 * key (which takes the next replicationCounter), would leave HQ waiting forever for the missing
 * counter. So every upload first stages, straight from the channel, the Pending operations of
 * customers that HQ is behind on and that nobody has touched for a grace period.
 *
 * Cheap when nothing is outstanding: one query with TOP. Bounded per run. Each customer is looked
 * at once per replicationCounter (`reconciledCounter`), so customers whose operations wait for an
 * operator (Failed in HQ) do not fill every run's TOP.
 */
import { outstandingOperations } from '../domain/channel-customer';
import { AsyncOperation, toStaged } from '../domain/operation';
import type { ChannelCustomers } from '../ports/channel-customers';
import type { OperationQueue } from '../ports/operation-queue';
import type { Staging } from '../ports/staging';

/** Where reconciled operations go; `put` answers false for one it already had. */
export interface ReconcileTarget {
  put(operation: AsyncOperation, now: string): Promise<boolean>;
}

/**
 * Staged for synchronize, as an upload would have: what sync runs do. Staging refuses an
 * operation it already has, so staging what the queue also delivered is harmless.
 */
export function intoStaging(staging: Pick<Staging, 'stage'>): ReconcileTarget {
  return { put: (operation, now) => staging.stage(toStaged(operation, now)) };
}

/**
 * Queued again, as the sign-up or edit had queued it: the streaming pass of a continuous loop
 * takes it within seconds, where a staged one waits for the next full pass. The uploader counts a
 * message for an operation it has already staged as a duplicate, so a message that did survive
 * changes nothing.
 */
export function intoQueue(queue: Pick<OperationQueue, 'send'>): ReconcileTarget {
  return {
    put: async (operation) => {
      await queue.send(operation);
      return true;
    },
  };
}

export interface ReconcileOptions {
  /** Operations younger than this are left to their own queue message (default 5 minutes). */
  graceMs?: number;
  /** Customers looked at per run (default 100). */
  maxCustomers?: number;
  log?: (message: string) => void;
}

export interface ReconcileResult {
  customers: number;
  /** Operations put into the target (staged, or queued again). */
  staged: number;
  /** Customers left for a later run after a storage error (not marked reconciled). */
  errors: number;
}

export const RECONCILE_DEFAULTS = { graceMs: 5 * 60_000, maxCustomers: 100 } as const;

export class Reconciler {
  constructor(
    private readonly channel: ChannelCustomers,
    private readonly target: ReconcileTarget,
    private readonly options: ReconcileOptions = {},
  ) {}

  async reconcile(now = Date.now()): Promise<ReconcileResult> {
    const cutoff = new Date(now - (this.options.graceMs ?? RECONCILE_DEFAULTS.graceMs)).toISOString();
    const candidates = await this.channel.unreconciled(cutoff, this.options.maxCustomers ?? RECONCILE_DEFAULTS.maxCustomers);
    const result: ReconcileResult = { customers: candidates.length, staged: 0, errors: 0 };
    const at = new Date(now).toISOString();
    for (const customer of candidates) {
      try {
        const pending = outstandingOperations(customer).filter((op) => customer.operations[op.operationId].status === 'Pending');
        for (const op of pending) if (await this.target.put(op, at)) result.staged++;
        await this.channel.markReconciled(customer.id, customer.replicationCounter);
      } catch (error) {
        // Not marked reconciled, so the next run looks at this customer again.
        result.errors++;
        this.options.log?.(`reconcile: customer ${customer.id} left for a later run: ${(error as Error).message}`);
      }
    }
    if (result.staged > 0)
      this.options.log?.(`reconcile: ${result.staged} operation(s) of ${result.customers} customer(s) that were never queued taken from the channel`);
    return result;
  }
}
