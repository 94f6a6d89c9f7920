/**
 * The sync run on Durable Functions: the orchestration that drives the core's sync pass, its
 * activities, the timer and the singleton start.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityHandler, DurableClient, OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import type { AppConfig } from '../../shared/core/config/settings';
import type { SyncRun } from '../../shared/core/domain/sync-run';
import type { BatchRequest } from '../../shared/core/use-cases/synchronize';
import { STEP_RETRY, SyncPassInput, syncPass, SyncStep, StepResult } from '../../shared/core/use-cases/sync-pass';
import type { UploadOptions } from '../../shared/core/use-cases/upload';
import type { Services } from '../composition-root';

export const SYNC_ORCHESTRATION = 'customerSync';
export const SYNC_INSTANCE_ID = 'customerSync';
export const ACTIVITY = {
  upload: 'uploadOperations',
  synchronize: 'synchronizeBatch',
  record: 'recordSyncRun',
} as const;

export type SyncRunInput = SyncPassInput;

/** The core's step retry policy, as the Durable extension takes it. */
function retryOptions(): df.RetryOptions {
  const retry = new df.RetryOptions(STEP_RETRY.firstRetryIntervalMs, STEP_RETRY.maxAttempts);
  retry.backoffCoefficient = STEP_RETRY.backoffCoefficient;
  retry.maxRetryIntervalInMilliseconds = STEP_RETRY.maxRetryIntervalMs;
  return retry;
}

/** Each step of the pass as the activities that run it. */
function activitiesFor(context: OrchestrationContext, step: SyncStep): Task {
  const retry = retryOptions();
  switch (step.kind) {
    case 'record':
      return context.df.callActivity(ACTIVITY.record, step.run);
    case 'upload':
      return context.df.callActivityWithRetry(ACTIVITY.upload, retry, step.options);
    case 'synchronize':
      return context.df.Task.all(step.batches.map((batch) => context.df.callActivityWithRetry(ACTIVITY.synchronize, retry, batch)));
  }
}

/**
 * The sync pass of the core (use-cases/sync-pass.ts) as a durable orchestration: each step is
 * scheduled as activities, a failed step is thrown back into the pass (which records the failed
 * run), and a long pass continues as new to keep its history short. One instance id makes it a
 * singleton: a run never overlaps another.
 */
export const customerSyncOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as SyncRunInput;
  const pass = syncPass(input, { instanceId: context.df.instanceId, now: () => context.df.currentUtcDateTime.toISOString() });
  let next = pass.next();
  while (!next.done) {
    let result: StepResult;
    try {
      result = yield activitiesFor(context, next.value);
    } catch (error) {
      next = pass.throw(error);
      continue;
    }
    next = pass.next(result);
  }
  const { run, finished } = next.value;
  if (!finished) context.df.continueAsNew({ ...input, run });
  return run;
};

export function uploadActivity(services: () => Services): ActivityHandler {
  return async (input: unknown) => services().uploader.upload(input as UploadOptions);
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
