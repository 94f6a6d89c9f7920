/**
 * After a hard kill, Azurite may have lost its last seconds (it saves every 5 s), among them queue
 * messages of sign-ups and edits that were answered 2xx. The Cosmos server lost nothing it
 * acknowledged (its journal), and the channel's record of an operation is the source of truth
 * (shared/core/use-cases/reconcile.ts): a full pass stages, straight from the channel, the Pending
 * operations of customers HQ is behind on, but only once they are 5 minutes old, so as not to race
 * a send still in flight, and a continuous loop makes a full pass only every 5 minutes. At
 * start-up nothing is in flight (the app does not serve yet), so `npm start` runs that same
 * reconciliation once with no grace period when the previous run did not stop cleanly, and queues
 * the operations again: the loop's next streaming pass takes them within seconds. The uploader
 * counts a message for an operation it already staged as a duplicate, so re-queueing one whose
 * message did survive changes nothing.
 */
import type { Services } from '../../functions/composition-root';
import { intoQueue, Reconciler } from '../../shared/core/use-cases/reconcile';
import { runSyncPass } from '../../shared/core/use-cases/sync-pass';
import type { SyncRun } from '../../shared/core/domain/sync-run';
import type { RunLog } from '../../shared/core/ports/run-log';

export interface CatchUpResult {
  customers: number;
  /** Operations queued again. */
  queued: number;
  errors: number;
}

export async function catchUpAfterHardKill(services: Pick<Services, 'channel' | 'queue'>, maxCustomersPerPass = 100): Promise<CatchUpResult> {
  const reconciler = new Reconciler(services.channel, intoQueue(services.queue), { graceMs: 0, maxCustomers: maxCustomersPerPass });
  const total: CatchUpResult = { customers: 0, queued: 0, errors: 0 };
  // Each pass marks the customers it finished, so the next one sees the rest; a pass with errors
  // only would see the same customers again: stop there and leave them to the sync runs.
  for (;;) {
    const pass = await reconciler.reconcile();
    total.customers += pass.customers;
    total.queued += pass.staged;
    total.errors += pass.errors;
    if (pass.customers < maxCustomersPerPass || pass.errors === pass.customers) return total;
  }
}

/**
 * The same kill can lose the orchestration's record of a batch it was synchronizing (Azurite keeps
 * the durable history too): HQ and the channel then have the customer while its staged operation
 * still says Uploaded, and its message may be gone. A continuous loop's streaming passes never
 * look at staged work, so it would wait for the next full pass, up to 5 minutes. Before serving,
 * `npm start` runs one pass's synchronize rounds (no queue messages: the loop takes those), which
 * finish it; the pass is recorded like any run (trigger `npm start`).
 */
export function synchronizeLeftStaged(services: Pick<Services, 'uploader' | 'synchronizer' | 'runs' | 'config'>): Promise<SyncRun> {
  return runSyncPass(services, { trigger: 'npm start', settings: services.config.sync, kind: 'full', upload: { maxMessages: 0 } }, { instanceId: 'npm-start' });
}

export const INTERRUPTED_RUN_ERROR =
  'interrupted: npm start was killed during this run (its orchestration resumes, and records its end here, if Azurite kept it)';

/**
 * A run's record lives in Cosmos, its orchestration in Azurite's tables. A kill within Azurite's
 * last unsaved seconds of a run's start leaves a record that says Running for an orchestration
 * that no longer exists, and nothing would ever finish it. After a hard kill, `npm start` marks
 * every Running record as Failed (interrupted) before the host starts; an orchestration that did
 * survive resumes and writes its real end over it (records are upserted by run id).
 */
export async function markInterruptedRuns(runs: RunLog, now = new Date()): Promise<number> {
  const running = (await runs.recent(100)).filter((run) => run.status === 'Running');
  for (const run of running) await runs.save({ ...run, status: 'Failed', finishedAt: now.toISOString(), error: INTERRUPTED_RUN_ERROR });
  return running.length;
}
