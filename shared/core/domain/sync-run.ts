/**
 * A sync run as operators see it on the runs list, and the counts its steps report.
 */
import { z } from 'zod';

export interface UploadResult {
  received: number;
  uploaded: number;
  duplicates: number;
  poisoned: number;
  /** Of `uploaded`: operations staged from the channel because their queue message was never sent. */
  reconciled?: number;
  /**
   * Left for a later run after a storage error: messages (delivered again once their visibility
   * timeout passes) and customers reconciliation could not finish.
   */
  errors: number;
  /** What was synchronized straight after staging (streaming); absent in results of older versions. */
  synchronized?: SyncCounts;
  /** HQ was servicing: nothing was taken from the queue. */
  hqUnavailable?: true;
}

const count = z.int().min(0);

export const syncCountsSchema = z
  .object({
    customers: count,
    completed: count,
    failed: count,
    waiting: count.meta({ description: 'Operations left behind a failed or missing predecessor.' }),
    /** Customers whose processing hit an infrastructure error; their operations are untouched. */
    errors: count.meta({ description: 'Messages, customers or reconciliations left for a later run after a storage error.' }),
    /** HQ was servicing: nothing was written to it. */
    hqUnavailable: z.literal(true).optional().meta({ description: 'HQ was servicing: nothing was written to HQ.' }),
  })
  .meta({ id: 'SyncCounts' });
export type SyncCounts = z.output<typeof syncCountsSchema>;

export const emptyCounts = (): SyncCounts => ({ customers: 0, completed: 0, failed: 0, waiting: 0, errors: 0 });

export function addCounts(a: SyncCounts, b: SyncCounts): SyncCounts {
  return {
    customers: a.customers + b.customers,
    completed: a.completed + b.completed,
    failed: a.failed + b.failed,
    waiting: a.waiting + b.waiting,
    errors: a.errors + b.errors,
    ...(a.hqUnavailable || b.hqUnavailable ? { hqUnavailable: true as const } : {}),
  };
}

/** Whether a step changed anything: another round (or pass) may find more to do. */
export const moved = (counts: SyncCounts): boolean => counts.completed + counts.failed + counts.waiting > 0;

/** One sync run, as operators see it on the runs list (and `lastRun` in the metrics). */
export const syncRunSchema = syncCountsSchema
  .extend({
    id: z.string(),
    instanceId: z.string(),
    trigger: z.string(),
    status: z.enum(['Running', 'Completed', 'Failed']),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    uploaded: count,
    duplicates: count,
    poisoned: count,
    rounds: count,
    error: z.string().nullable(),
  })
  .meta({ id: 'SyncRun' });
export type SyncRun = z.output<typeof syncRunSchema>;
export type RunStatus = SyncRun['status'];

export function newRun(id: string, instanceId: string, trigger: string, startedAt: string): SyncRun {
  return {
    id,
    instanceId,
    trigger,
    status: 'Running',
    startedAt,
    finishedAt: null,
    uploaded: 0,
    duplicates: 0,
    poisoned: 0,
    customers: 0,
    completed: 0,
    failed: 0,
    waiting: 0,
    errors: 0,
    rounds: 0,
    error: null,
  };
}

export function withUpload(run: SyncRun, upload: UploadResult): SyncRun {
  const synchronized = upload.synchronized ?? emptyCounts();
  return {
    ...run,
    ...addCounts(run, synchronized),
    uploaded: run.uploaded + upload.uploaded,
    duplicates: run.duplicates + upload.duplicates,
    poisoned: run.poisoned + upload.poisoned,
    // `?? 0`: an upload result recorded in a history by an earlier version has no `errors`.
    errors: run.errors + synchronized.errors + (upload.errors ?? 0),
  };
}
