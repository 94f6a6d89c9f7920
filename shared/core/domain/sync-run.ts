/**
 * A sync run as operators see it on the runs list, and the counts its steps report.
 */

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

export interface SyncCounts {
  customers: number;
  completed: number;
  failed: number;
  waiting: number;
  /** Customers whose processing hit an infrastructure error; their operations are untouched. */
  errors: number;
  /** HQ was servicing: nothing was written to it. */
  hqUnavailable?: true;
}

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

export type RunStatus = 'Running' | 'Completed' | 'Failed';

/** One sync run, as operators see it on the runs list. */
export interface SyncRun extends SyncCounts {
  id: string;
  instanceId: string;
  trigger: string;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  uploaded: number;
  duplicates: number;
  poisoned: number;
  rounds: number;
  error: string | null;
}

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
