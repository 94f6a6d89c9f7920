import type { SyncRun } from '../domain/sync-run';

/** The record of sync runs operators read. */
export interface RunLog {
  /** Creates or replaces the run's record. */
  save(run: SyncRun): Promise<void>;
  /** Newest first. */
  recent(limit: number): Promise<SyncRun[]>;
}
