/**
 * The customerSync orchestration replayed through durable-functions' own orchestrator code, with
 * histories written the way the Durable extension writes them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SyncRunInput } from '../../functions/sync/customer-sync';
import { emptyCounts } from '../../shared/core/domain/sync-run';
import { ROUNDS_PER_EXECUTION } from '../../shared/core/use-cases/sync-pass';
import { loadAppRegistrations } from '@async-customer/local-host';
import { Action, History, leafActions, OrchestratorResult, replay } from '../support/orchestration-history';

const sample = JSON.parse(readFileSync(path.join(__dirname, '../../local.settings.sample.json'), 'utf8')).Values;
const orchestrator = loadAppRegistrations(path.join(__dirname, '../..'), { env: sample }).find((r) => r.name === 'customerSync')!.callback;

const input: SyncRunInput = {
  trigger: 'http',
  settings: {
    mode: 'scheduled',
    idleDelaySeconds: 10,
    schedule: '0 */5 * * * *',
    batchSize: 50,
    maxParallelBatches: 3,
    maxAttempts: 3,
    maxMessagesPerRun: 1000,
  },
};
const CALL = 0;
const CALL_WITH_RETRY = 1;
const CONTINUE_AS_NEW = 4;
const WHEN_ALL = 12;

/** Drives one instance: tracks which actions were already scheduled, as the extension does. */
class Instance {
  readonly history = new History().episode().started('customerSync', input);
  private nextEventId = 0;
  private scheduled = 0;
  result!: OrchestratorResult;

  async run(): Promise<Action[]> {
    this.result = await replay(orchestrator, this.history, 'customerSync', input);
    const all = leafActions(this.result);
    const fresh = all.slice(this.scheduled);
    this.scheduled = all.length;
    return fresh;
  }

  /** Schedules the new actions and completes them with the given results, in one episode. */
  complete(actions: Action[], results: unknown[]): this {
    const ids = actions.map((a) => {
      const id = this.nextEventId++;
      this.history.scheduled(id, a.functionName!);
      return id;
    });
    this.history.episode();
    ids.forEach((id, i) => this.history.completed(id, results[i]));
    return this;
  }

  /** The extension's retry: the attempt fails, a timer waits, the activity is scheduled again. */
  failThenRetry(action: Action, reason: string): this {
    const failedId = this.nextEventId++;
    this.history.scheduled(failedId, action.functionName!).episode().failed(failedId, reason);
    const timerId = this.nextEventId++;
    const fireAt = new Date(Date.parse('2026-11-21T10:05:00Z')).toISOString();
    this.history.timerCreated(timerId, fireAt).episode().timerFired(timerId, fireAt);
    return this;
  }
}

const counts = (completed: number) => ({ ...emptyCounts(), customers: completed, completed });

test('a run records itself, uploads, fans out one batch per customer group, and stops when nothing moves', async () => {
  const instance = new Instance();
  const [record] = await instance.run();
  expect(record).toMatchObject({ actionType: CALL, functionName: 'recordSyncRun', input: { status: 'Running', trigger: 'http' } });

  instance.complete([record], [null]);
  const [upload] = await instance.run();
  expect(upload).toMatchObject({ actionType: CALL_WITH_RETRY, functionName: 'uploadOperations', input: { maxMessages: 1000 } });
  expect(upload.retryOptions).toMatchObject({ maxNumberOfAttempts: 4 });

  instance.complete([upload], [{ received: 7, uploaded: 7, duplicates: 0, poisoned: 0 }]);
  const round1 = await instance.run();
  const fanOut = (instance.result.actions as Action[][]).flat().find((a) => a.actionType === WHEN_ALL)!;
  expect(fanOut.compoundActions).toHaveLength(3);
  expect(round1.map((a) => a.input)).toEqual(
    [0, 1, 2].map((group) => ({ runId: record.input && (record.input as { id: string }).id, group, groups: 3, batchSize: 50 })),
  );
  expect(round1.every((a) => a.actionType === CALL_WITH_RETRY && a.functionName === 'synchronizeBatch')).toBe(true);

  instance.complete(round1, [counts(3), counts(4), counts(0)]);
  const round2 = await instance.run();
  expect(round2).toHaveLength(3);

  instance.complete(round2, [counts(0), counts(0), counts(0)]);
  const [finalRecord] = await instance.run();
  expect(finalRecord).toMatchObject({
    functionName: 'recordSyncRun',
    input: { status: 'Completed', uploaded: 7, completed: 7, rounds: 2, error: null },
  });

  instance.complete([finalRecord], [null]);
  await instance.run();
  expect(instance.result.isDone).toBe(true);
  expect(instance.result.output).toMatchObject({ status: 'Completed', completed: 7, uploaded: 7 });
});

test('a failed upload is retried by the retry policy and the run goes on', async () => {
  const instance = new Instance();
  const [record] = await instance.run();
  instance.complete([record], [null]);
  const [upload] = await instance.run();
  instance.failThenRetry(upload, 'Cosmos answered 503');
  // The extension schedules the retry itself: the orchestrator waits, with nothing new to do.
  expect(await instance.run()).toEqual([]);
  expect(instance.result.isDone).toBe(false);

  instance.complete([upload], [{ received: 1, uploaded: 1, duplicates: 0, poisoned: 0 }]);
  const round = await instance.run();
  expect(round.map((a) => a.functionName)).toEqual(['synchronizeBatch', 'synchronizeBatch', 'synchronizeBatch']);
  expect(instance.result.isDone).toBe(false);
});

test('an activity that keeps failing fails the run, which is recorded as Failed', async () => {
  const instance = new Instance();
  const [record] = await instance.run();
  instance.complete([record], [null]);
  const [upload] = await instance.run();
  // The policy allows 4 attempts in all; the library gives up once the timer after the 4th fires.
  for (let attempt = 1; attempt < 4; attempt++) {
    instance.failThenRetry(upload, 'queue unreachable');
    expect(await instance.run()).toEqual([]);
  }
  instance.failThenRetry(upload, 'queue unreachable');
  const [failedRecord] = (await instance.run()).filter((a) => a.functionName === 'recordSyncRun');
  expect(failedRecord.input).toMatchObject({ status: 'Failed' });
  expect(String((failedRecord.input as { error: string }).error)).toMatch(/queue unreachable/);

  // Once the failure is recorded the orchestrator rethrows: the library hands the host an error
  // with the final state, and the host marks the instance Failed.
  instance.complete([failedRecord], [null]);
  expect(await instance.run()).toEqual([]);
  expect(instance.result.error).toMatch(/queue unreachable/);
});

test('after many rounds the run continues as new, carrying its counts', async () => {
  const instance = new Instance();
  const [record] = await instance.run();
  instance.complete([record], [null]);
  const [upload] = await instance.run();
  instance.complete([upload], [{ received: 0, uploaded: 0, duplicates: 0, poisoned: 0 }]);
  let round = await instance.run();
  for (let i = 0; i < ROUNDS_PER_EXECUTION; i++) {
    instance.complete(round, [counts(1), counts(1), counts(1)]);
    round = await instance.run();
  }
  const continued = (instance.result.actions as Action[][]).flat().find((a) => a.actionType === CONTINUE_AS_NEW);
  expect(continued).toBeDefined();
  expect(continued!.input).toMatchObject({ run: { completed: 3 * ROUNDS_PER_EXECUTION, rounds: ROUNDS_PER_EXECUTION, status: 'Running' } });
});
