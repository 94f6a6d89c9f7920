import type { Container } from '@azure/cosmos';
import { stripSystem } from './documents';
import type { SyncCounts } from '../../core/use-cases/synchronize';
import type { UploadResult } from '../../core/use-cases/upload';

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
  return {
    ...run,
    uploaded: run.uploaded + upload.uploaded,
    duplicates: run.duplicates + upload.duplicates,
    poisoned: run.poisoned + upload.poisoned,
    // `?? 0`: an upload result recorded in a history by an earlier version has no `errors`.
    errors: run.errors + (upload.errors ?? 0),
  };
}

export class RunStore {
  constructor(private readonly container: Container) {}

  async save(run: SyncRun): Promise<void> {
    await this.container.items.upsert(run);
  }

  async recent(limit: number): Promise<SyncRun[]> {
    const { resources } = await this.container.items
      .query<SyncRun>({ query: 'SELECT TOP @limit * FROM c ORDER BY c.startedAt DESC', parameters: [{ name: '@limit', value: limit }] })
      .fetchAll();
    return resources.map(stripSystem);
  }
}
