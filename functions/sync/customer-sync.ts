/**
 * The sync run as a durable orchestration: upload (P-job), then rounds of synchronize batches
 * fanned out over customer groups (each batch also distributes its results, job 1010), until
 * nothing is left. One instance id makes it a singleton: a run never overlaps another.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityHandler, DurableClient, OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import type { AppConfig } from '../../shared/core/config/settings';
import type { Services } from '../composition-root';
import { newRun, SyncRun, withUpload } from '../../shared/adapters/cosmos/run-log';
import { addCounts, BatchRequest, emptyCounts, SyncCounts } from '../../shared/core/use-cases/synchronize';
import type { UploadResult } from '../../shared/core/use-cases/upload';

export const SYNC_ORCHESTRATION = 'customerSync';
export const SYNC_INSTANCE_ID = 'customerSync';
export const ACTIVITY = {
  upload: 'uploadOperations',
  synchronize: 'synchronizeBatch',
  record: 'recordSyncRun',
} as const;

export interface SyncRunInput {
  trigger: 'timer' | 'http' | string;
  settings: AppConfig['sync'];
  /** Carried over by continue-as-new, which keeps each execution's history short. */
  run?: SyncRun;
}

/** Rounds per execution before continuing as new: bounds the history a replay walks. */
export const ROUNDS_PER_EXECUTION = 20;

function retryPolicy(): df.RetryOptions {
  const retry = new df.RetryOptions(1000, 4);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 30_000;
  return retry;
}

export const customerSyncOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as SyncRunInput;
  const { settings } = input;
  const now = () => context.df.currentUtcDateTime.toISOString();
  let run = input.run ?? newRun(`${context.df.instanceId}@${now()}`, context.df.instanceId, input.trigger, now());
  const retry = retryPolicy();

  try {
    if (!input.run) {
      yield context.df.callActivity(ACTIVITY.record, run);
      const upload: UploadResult = yield context.df.callActivityWithRetry(ACTIVITY.upload, retry, { maxMessages: settings.maxMessagesPerRun });
      run = withUpload(run, upload);
    }
    for (let round = 0; round < ROUNDS_PER_EXECUTION; round++) {
      const groups = settings.maxParallelBatches;
      const batches = Array.from({ length: groups }, (_, group) => {
        const request: BatchRequest = { runId: run.id, group, groups, batchSize: settings.batchSize };
        return context.df.callActivityWithRetry(ACTIVITY.synchronize, retry, request);
      });
      const results: SyncCounts[] = yield context.df.Task.all(batches);
      const total = results.reduce(addCounts, emptyCounts());
      run = { ...run, ...addCounts(run, total), rounds: run.rounds + 1 };
      if (total.completed + total.failed + total.waiting === 0) {
        run = { ...run, status: 'Completed', finishedAt: now() };
        yield context.df.callActivity(ACTIVITY.record, run);
        return run;
      }
    }
    context.df.continueAsNew({ ...input, run });
    return run;
  } catch (error) {
    run = { ...run, status: 'Failed', finishedAt: now(), error: (error as Error).message ?? String(error) };
    yield context.df.callActivity(ACTIVITY.record, run);
    throw error;
  }
};

export function uploadActivity(services: () => Services): ActivityHandler {
  return async (input: unknown) => services().uploader.upload({ maxMessages: (input as { maxMessages: number }).maxMessages });
}

export function synchronizeActivity(services: () => Services): ActivityHandler {
  return async (input: unknown) => services().synchronizer.synchronizeBatch(input as BatchRequest);
}

export function recordRunActivity(services: () => Services): ActivityHandler {
  return async (input: unknown) => services().runs.save(input as SyncRun);
}

/** The timer: start a run on schedule, unless one is still going. */
export function syncTimerHandler(services: () => Services) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const result = await startSyncRun(df.getClient(context), 'timer', services().config.sync);
    context.log(result.started ? `sync run ${result.instanceId} started by timer` : `timer: ${result.reason}`);
  };
}

export type StartResult = { started: true; instanceId: string } | { started: false; instanceId: string; reason: string };

const ACTIVE = new Set(['Running', 'Pending', 'ContinuedAsNew']);

/** Starts a run unless one is active. Two starters racing both ask; the durable store lets one win. */
export async function startSyncRun(client: DurableClient, trigger: string, settings: AppConfig['sync']): Promise<StartResult> {
  const status = await client.getStatus(SYNC_INSTANCE_ID).catch(() => undefined);
  if (status && ACTIVE.has(String(status.runtimeStatus))) {
    return { started: false, instanceId: SYNC_INSTANCE_ID, reason: `a sync run is already ${status.runtimeStatus}` };
  }
  const input: SyncRunInput = { trigger, settings };
  try {
    await client.startNew(SYNC_ORCHESTRATION, { instanceId: SYNC_INSTANCE_ID, input });
    return { started: true, instanceId: SYNC_INSTANCE_ID };
  } catch (error) {
    return { started: false, instanceId: SYNC_INSTANCE_ID, reason: `a sync run is already starting (${(error as Error).message})` };
  }
}
