/**
 * Synchronize ("Synchronize customers and channel requests"): apply staged operations to HQ,
 * customer by customer in replicationCounter order, then distribute the result to the channel,
 * then mark the staged operations. Staging is written last: it is the commit point, so a crash
 * before it makes the next run repeat steps that are all idempotent.
 */
import type { StagedOperation } from '../domain/operation';
import type { HqService } from './hq';
import type { Distributor } from './distribute';
import type { WebhookEvents } from './webhook-events';
import type { Clock } from '../ports/clock';
import type { Staging } from '../ports/staging';
import { HqUnavailableError } from '../domain/errors';
import { addCounts, emptyCounts, SyncCounts } from '../domain/sync-run';

export interface BatchRequest {
  runId: string;
  group: number;
  groups: number;
  batchSize: number;
}

export interface SynchronizerOptions {
  maxAttempts: number;
  /** Customers processed at once within one batch. */
  concurrency?: number;
  log?: (message: string) => void;
  /** Records `customer.syncFailed` when an operation runs out of automatic retries. */
  events?: Pick<WebhookEvents, 'syncFailed'>;
}

export class Synchronizer {
  constructor(
    private readonly staging: Staging,
    private readonly hq: HqService,
    private readonly distributor: Distributor,
    private readonly options: SynchronizerOptions,
    private readonly clock: Clock,
  ) {}

  /** Whether HQ takes writes now (read per call: servicing can be switched on a running app). */
  hqAvailable(): boolean {
    return this.hq.available();
  }

  /** One batch of the oldest outstanding operations of one customer group (retries, reconciled, left over). */
  async synchronizeBatch(request: BatchRequest): Promise<SyncCounts> {
    if (!this.hqAvailable()) return { ...emptyCounts(), hqUnavailable: true };
    const operations = await this.staging.outstanding({
      runId: request.runId,
      group: request.group,
      groups: request.groups,
      limit: request.batchSize,
      maxAttempts: this.options.maxAttempts,
    });
    return this.synchronizeByCustomer(operations, request.runId, { markWaiting: true });
  }

  /**
   * The operations upload has just staged, synchronized straight away: no query, so the cost per
   * customer does not grow with the backlog. Operations left waiting (a predecessor not staged
   * yet) are not marked for this run, so the run's next batch round picks them up.
   */
  async synchronizeStaged(operations: StagedOperation[], runId: string): Promise<SyncCounts> {
    if (operations.length === 0) return emptyCounts();
    if (!this.hqAvailable()) return { ...emptyCounts(), hqUnavailable: true };
    return this.synchronizeByCustomer(operations, runId, { markWaiting: false });
  }

  private async synchronizeByCustomer(operations: StagedOperation[], runId: string, options: { markWaiting: boolean }): Promise<SyncCounts> {
    // A message delivered twice into one receive is one operation: synchronize (and count) it once.
    const unique = [...new Map(operations.map((op) => [op.operationId, op])).values()];
    const byCustomer = new Map<string, StagedOperation[]>();
    for (const op of unique) byCustomer.set(op.customerId, [...(byCustomer.get(op.customerId) ?? []), op]);
    const counts = emptyCounts();
    const queue = [...byCustomer.entries()];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [customerId, ops] = next;
        addInto(counts, await this.synchronizeOperations(customerId, ops, runId, true, options.markWaiting));
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency ?? 8 }, worker));
    return counts;
  }

  /** The operator's "Synchronize": process every outstanding operation of one customer now. */
  async synchronizeCustomer(customerId: string, runId: string): Promise<SyncCounts> {
    if (!this.hqAvailable()) throw new HqUnavailableError();
    const ops = await this.staging.outstandingForCustomer(customerId);
    return this.synchronizeOperations(customerId, ops, runId, false, true);
  }

  private async synchronizeOperations(
    customerId: string,
    given: StagedOperation[],
    runId: string,
    mayBeIncomplete: boolean,
    markWaiting: boolean,
  ): Promise<SyncCounts> {
    const counts = { ...emptyCounts(), customers: 1 };
    if (given.length === 0) return counts;
    try {
      let ops = given;
      const ref = {
        customerId,
        channelId: ops[0].channelId,
        custAccountAsync: ops.find((op) => op.custAccountAsync)?.custAccountAsync ?? null,
      };
      let result = await this.hq.applyOperations(ref, ops);
      if (mayBeIncomplete && result.waiting.length > 0 && !result.failed) {
        // The batch (or the upload's receive) may have cut this customer's operations short:
        // fetch all of them once. A failed operation out of attempts waits for an operator, and
        // one this run has already tried (in another receive of the same upload) is not tried
        // twice: what comes after it waits behind it.
        const outstanding = await this.staging.outstandingForCustomer(customerId);
        const given = new Set(ops.map((op) => op.operationId));
        const blocking = outstanding
          .filter((op) => !given.has(op.operationId) && op.status === 'Failed' && (op.attempts >= this.options.maxAttempts || op.lastRunId === runId))
          .sort((a, b) => a.replicationCounter - b.replicationCounter)[0];
        const all = outstanding.filter((op) => op.replicationCounter < (blocking?.replicationCounter ?? Infinity) || given.has(op.operationId));
        if (all.length > ops.length) {
          ops = all;
          result = await this.hq.applyOperations(ref, ops);
        }
        if (blocking) {
          const behind = `waiting behind failed operation #${blocking.replicationCounter}`;
          const waiting = result.waiting.map((w) => (w.operation.replicationCounter > blocking.replicationCounter ? { ...w, reason: behind } : w));
          result = { ...result, waiting };
        }
      }

      const now = this.clock.now().toISOString();
      const byId = new Map(ops.map((op) => [op.operationId, op]));
      const changes = new Map<StagedOperation, Partial<StagedOperation>>();
      for (const op of result.completed) {
        changes.set(byId.get(op.operationId)!, { status: 'Completed', onlineOperationCompleted: 1, completedAt: now, lastError: null, lastRunId: runId });
      }
      if (result.failed) {
        const op = byId.get(result.failed.operation.operationId)!;
        changes.set(op, { status: 'Failed', attempts: op.attempts + 1, lastError: result.failed.error, lastRunId: runId });
        this.options.log?.(`synchronize: operation ${op.operationId} of customer ${customerId} failed (attempt ${op.attempts + 1})`);
      }
      for (const { operation, reason } of result.waiting) {
        changes.set(byId.get(operation.operationId)!, markWaiting ? { lastError: reason, lastRunId: runId } : { lastError: reason });
      }

      const decided = [...changes].filter(([, c]) => c.status).map(([op, c]) => ({ ...op, ...c }));
      await this.distributor.distribute(customerId, result.customer, decided);
      const failed = decided.find((op) => op.status === 'Failed');
      if (failed && failed.attempts >= this.options.maxAttempts) {
        // Out of automatic retries: it waits for an operator now. Recorded before staging is marked
        // (the commit point), so a retried step records it again, under the same id.
        await this.options.events?.syncFailed({
          channelId: failed.channelId,
          operationId: failed.operationId,
          customerId,
          custAccountAsync: failed.custAccountAsync,
          entity: failed.entity,
          operation: failed.operation,
          attempts: failed.attempts,
          error: failed.lastError,
        });
      }
      await Promise.all([...changes].map(([op, c]) => this.staging.update(op, c)));

      counts.completed = result.completed.length;
      counts.failed = result.failed ? 1 : 0;
      counts.waiting = result.waiting.length;
    } catch (error) {
      // Storage trouble is not the operation's fault: leave it as it is for the next round or run.
      counts.errors = 1;
      this.options.log?.(`synchronize: customer ${customerId} left for a later run: ${(error as Error).message}`);
    }
    return counts;
  }
}

function addInto(target: SyncCounts, add: SyncCounts): void {
  Object.assign(target, addCounts(target, add));
}
