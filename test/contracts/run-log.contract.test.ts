/** The RunLog contract on memory and on the Cosmos DB server: runs are saved by id and listed newest first. */
import { CosmosRunLog } from '../../shared/adapters/cosmos/run-log';
import { MemoryRunLog } from '../../shared/adapters/memory';
import type { RunLog } from '../../shared/core/ports/run-log';
import { at, syncRun } from './records';
import { useCosmosContainers } from './real-adapters';

export function runLogContract(make: () => Promise<RunLog>): void {
  let runs: RunLog;
  beforeEach(async () => {
    runs = await make();
  });

  test('an empty log has no recent runs', async () => {
    expect(await runs.recent(10)).toEqual([]);
  });

  test('save creates the run, and saving it again replaces it (one record per run id)', async () => {
    const run = syncRun(at(1));
    await runs.save(run);
    await runs.save({ ...run, status: 'Completed', finishedAt: at(2), uploaded: 3 });
    run.status = 'Failed';
    expect(await runs.recent(10)).toEqual([{ ...run, status: 'Completed', finishedAt: at(2), uploaded: 3 }]);
  });

  test('recent lists newest startedAt first, at most limit, as copies', async () => {
    const saved = [syncRun(at(2)), syncRun(at(5)), syncRun(at(1)), syncRun(at(4)), syncRun(at(3))];
    for (const run of saved) await runs.save(run);
    const recent = await runs.recent(3);
    expect(recent.map((r) => r.startedAt)).toEqual([at(5), at(4), at(3)]);
    recent[0].status = 'Failed';
    expect((await runs.recent(1))[0]).toEqual(saved[1]);
    expect(await runs.recent(10)).toHaveLength(5);
  });
}

describe('MemoryRunLog', () => {
  runLogContract(async () => new MemoryRunLog());
});

describe('CosmosRunLog on the Cosmos DB server', () => {
  const container = useCosmosContainers();
  runLogContract(async () => new CosmosRunLog(await container('hqSyncRuns')));
});
