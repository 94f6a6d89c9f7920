import type { SyncRun } from '../../core/domain/sync-run';
import type { RunLog } from '../../core/ports/run-log';
import { by, MemoryContainer } from './documents';

export class MemoryRunLog implements RunLog {
  constructor(readonly container = new MemoryContainer<SyncRun>()) {}

  async save(run: SyncRun): Promise<void> {
    this.container.upsert(run);
  }

  async recent(limit: number): Promise<SyncRun[]> {
    return this.container
      .where()
      .sort(by((run) => run.startedAt, 'desc'))
      .slice(0, limit);
  }
}
