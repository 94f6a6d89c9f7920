import type { Container } from '@azure/cosmos';
import type { SyncRun } from '../../core/domain/sync-run';
import type { RunLog } from '../../core/ports/run-log';
import { stripSystem } from './documents';

export class CosmosRunLog implements RunLog {
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
