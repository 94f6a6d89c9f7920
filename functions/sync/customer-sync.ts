/**
 * The sync run on Durable Functions: the orchestration that drives the core's sync pass, its
 * activities, the timer and the singleton start.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import type { ActivityHandler, DurableClient, OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import type { AppConfig } from '../../shared/core/config/settings';
import type { SyncRun } from '../../shared/core/domain/sync-run';
import type { BatchRequest } from '../../shared/core/use-cases/synchronize';
import {
  LoopStep,
  STEP_RETRY,
  SyncLoopInput,
  syncLoopIteration,
  SyncLoopStatus,
  syncLoopStatusSchema,
  syncPass,
  SyncStep,
  StepResult,
} from '../../shared/core/use-cases/sync-pass';
import type { UploadOptions } from '../../shared/core/use-cases/upload';
import type { Services } from '../composition-root';

export const SYNC_ORCHESTRATION = 'customerSync';
export const SYNC_INSTANCE_ID = 'customerSync';
export const ACTIVITY = {
  upload: 'uploadOperations',
  synchronize: 'synchronizeBatch',
  record: 'recordSyncRun',
} as const;

export type SyncRunInput = SyncLoopInput;

/** The external event that wakes an idle continuous loop (POST /api/ops/sync/run). */
export const WAKE_EVENT = 'wake';

/** The core's step retry policy, as the Durable extension takes it. */
function retryOptions(): df.RetryOptions {
  const retry = new df.RetryOptions(STEP_RETRY.firstRetryIntervalMs, STEP_RETRY.maxAttempts);
  retry.backoffCoefficient = STEP_RETRY.backoffCoefficient;
  retry.maxRetryIntervalInMilliseconds = STEP_RETRY.maxRetryIntervalMs;
  return retry;
}

/**
 * Runs the core's steps as durable work: activities (with the retry policy), the idle wait as a
 * durable timer raced against the wake event, the loop's status as the custom status. A failed
 * step is thrown back into the core's generator, which records the failed run.
 */
function* drive<T>(context: OrchestrationContext, steps: Generator<LoopStep, T, StepResult | boolean>): Generator<Task, T, unknown> {
  let next = steps.next();
  while (!next.done) {
    const step = next.value;
    if (step.kind === 'status') {
      context.df.setCustomStatus(step.status);
      next = steps.next();
      continue;
    }
    let result: StepResult | boolean;
    try {
      if (step.kind === 'wait') {
        const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + step.ms));
        const wake = context.df.waitForExternalEvent(WAKE_EVENT);
        const winner = yield context.df.Task.any([timer, wake]);
        if (winner !== timer) timer.cancel();
        result = winner !== timer;
      } else {
        result = (yield activitiesFor(context, step)) as StepResult;
      }
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(result);
  }
  return next.value;
}

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
 * The core's sync loop and pass (use-cases/sync-pass.ts) as one singleton orchestration. In
 * continuous mode each execution is one iteration of the loop and continues as new; in scheduled
 * mode each execution is one pass (a long pass continues as new to keep its history short).
 */
export const customerSyncOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<SyncRunInput>();
  const identity = { instanceId: context.df.instanceId, now: () => context.df.currentUtcDateTime.toISOString() };
  if (input.settings.mode === 'continuous') {
    const next = yield* drive(context, syncLoopIteration(input, identity));
    context.df.continueAsNew(next);
    return next.loop ?? null;
  }
  const outcome = yield* drive(context, syncPass(input, identity));
  if (!outcome.finished) context.df.continueAsNew({ ...input, run: outcome.run });
  return outcome.run;
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

/**
 * The timer. Scheduled mode: start a run unless one is still going. Continuous mode: the
 * watchdog that starts the loop when it is not running (after a deployment, a failure, a purge).
 */
export function syncTimerHandler(services: () => Services) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const result = await startSyncRun(df.getClient(context), 'timer', services().config.sync, { wake: false });
    context.log(result.started ? `sync run ${result.instanceId} started by timer` : `timer: ${result.reason}`);
  };
}

export type StartResult = { started: true; instanceId: string } | { started: false; woken: boolean; instanceId: string; reason: string };

const ACTIVE = new Set(['Running', 'Pending', 'ContinuedAsNew']);

/**
 * Starts a run unless one is active; in continuous mode an active loop is woken instead (with
 * `wake`), to pass at once. Two starters racing both ask; the durable store lets one win
 * (host.json: a start of a running instance fails).
 */
export async function startSyncRun(
  client: DurableClient,
  trigger: string,
  settings: AppConfig['sync'],
  { wake = true }: { wake?: boolean } = {},
): Promise<StartResult> {
  const current = await readSyncLoop(client);
  if (current.running) {
    const woken = wake && settings.mode === 'continuous';
    if (woken) await client.raiseEvent(SYNC_INSTANCE_ID, WAKE_EVENT, { trigger });
    return { started: false, woken, instanceId: SYNC_INSTANCE_ID, reason: `a sync run is already ${current.runtimeStatus}` };
  }
  const input: SyncRunInput = { trigger, settings };
  try {
    await client.startNew(SYNC_ORCHESTRATION, { instanceId: SYNC_INSTANCE_ID, input });
    return { started: true, instanceId: SYNC_INSTANCE_ID };
  } catch (error) {
    return { started: false, woken: false, instanceId: SYNC_INSTANCE_ID, reason: `a sync run is already starting (${(error as Error).message})` };
  }
}

/** The loop (or run) as operators see it on /api/ops/metrics. */
export const syncLoopViewSchema = z.object({
  running: z.boolean().meta({ description: 'Whether the customerSync orchestration is Running, Pending or ContinuedAsNew.' }),
  runtimeStatus: z.string().nullable().meta({ description: "The orchestration's runtime status; null when it never ran." }),
  /** The continuous loop's own account (null in scheduled mode or before its first pass). */
  loop: syncLoopStatusSchema.nullable(),
});
export type SyncLoopView = z.output<typeof syncLoopViewSchema>;

export async function readSyncLoop(client: DurableClient): Promise<SyncLoopView> {
  const status = await client.getStatus(SYNC_INSTANCE_ID).catch(() => undefined);
  const runtimeStatus = status?.runtimeStatus === undefined ? null : String(status.runtimeStatus);
  const custom = status?.customStatus as SyncLoopStatus | null | undefined;
  return { running: runtimeStatus !== null && ACTIVE.has(runtimeStatus), runtimeStatus, loop: custom && typeof custom === 'object' ? custom : null };
}
