/**
 * One sync pass, defined once: upload (the P-job), then rounds of synchronize batches fanned out
 * over customer groups (each batch also distributes its results, job 1010), until nothing moves.
 *
 * The pass is a generator of steps, so every driver runs this one definition: the durable
 * orchestration turns each step into activity calls (functions/sync/customer-sync.ts), and
 * `runSyncPass` below calls the use cases directly (the on-demand tests and the benchmark).
 * The loop, its end condition and its retry policy live here and nowhere else.
 */
import type { AppConfig } from '../config/settings';
import { addCounts, emptyCounts, newRun, SyncCounts, SyncRun, UploadResult, withUpload } from '../domain/sync-run';
import type { RunLog } from '../ports/run-log';
import type { BatchRequest, Synchronizer } from './synchronize';
import type { Uploader, UploadOptions } from './upload';

export interface SyncPassInput {
  trigger: 'timer' | 'http' | string;
  settings: AppConfig['sync'];
  /** Carried over from the previous execution when a long pass continues (see ROUNDS_PER_EXECUTION). */
  run?: SyncRun;
  /** Upload options beyond the settings' (tests shorten the visibility timeout). */
  upload?: Partial<UploadOptions>;
}

export type SyncStep =
  | { kind: 'record'; run: SyncRun }
  | { kind: 'upload'; options: UploadOptions }
  | { kind: 'synchronize'; batches: BatchRequest[] };

/** What each step answers: nothing, the upload's result, one count per batch. */
export type StepResult = void | UploadResult | SyncCounts[];

export interface SyncPassOutcome {
  run: SyncRun;
  /** False when the pass stopped after ROUNDS_PER_EXECUTION rounds with work left: run it again with `run`. */
  finished: boolean;
}

/** Rounds per execution before the pass hands over: bounds the history a durable replay walks. */
export const ROUNDS_PER_EXECUTION = 20;

/** How a failed step is tried again: 4 tries from 1 s, doubling, at most 30 s apart. */
export const STEP_RETRY = { firstRetryIntervalMs: 1000, maxAttempts: 4, backoffCoefficient: 2, maxRetryIntervalMs: 30_000 } as const;

export type RetryPolicy = typeof STEP_RETRY;

export function* syncPass(
  input: SyncPassInput,
  identity: { instanceId: string; now: () => string },
): Generator<SyncStep, SyncPassOutcome, StepResult> {
  const { settings } = input;
  let run = input.run ?? newRun(`${identity.instanceId}@${identity.now()}`, identity.instanceId, input.trigger, identity.now());
  try {
    if (!input.run) {
      yield { kind: 'record', run };
      const upload = (yield { kind: 'upload', options: { maxMessages: settings.maxMessagesPerRun, ...input.upload } }) as UploadResult;
      run = withUpload(run, upload);
    }
    for (let round = 0; round < ROUNDS_PER_EXECUTION; round++) {
      const groups = settings.maxParallelBatches;
      const batches = Array.from({ length: groups }, (_, group): BatchRequest => ({ runId: run.id, group, groups, batchSize: settings.batchSize }));
      const results = (yield { kind: 'synchronize', batches }) as SyncCounts[];
      const total = results.reduce(addCounts, emptyCounts());
      run = { ...run, ...addCounts(run, total), rounds: run.rounds + 1 };
      if (total.completed + total.failed + total.waiting === 0) {
        run = { ...run, status: 'Completed', finishedAt: identity.now() };
        yield { kind: 'record', run };
        return { run, finished: true };
      }
    }
    return { run, finished: false };
  } catch (error) {
    run = { ...run, status: 'Failed', finishedAt: identity.now(), error: (error as Error).message ?? String(error) };
    yield { kind: 'record', run };
    throw error;
  }
}

/** The use cases behind each step: what the orchestration's activities call. */
export interface SyncSteps {
  uploader: Pick<Uploader, 'upload'>;
  synchronizer: Pick<Synchronizer, 'synchronizeBatch'>;
  runs: Pick<RunLog, 'save'>;
}

/** One step with the use cases called directly. */
function runStep(steps: SyncSteps, step: SyncStep): Promise<StepResult> {
  switch (step.kind) {
    case 'record':
      return steps.runs.save(step.run);
    case 'upload':
      return steps.uploader.upload(step.options);
    case 'synchronize':
      return Promise.all(step.batches.map((batch) => steps.synchronizer.synchronizeBatch(batch)));
  }
}

export interface DirectPassOptions {
  instanceId?: string;
  now?: () => string;
  /** Waits between tries of a failed step (tests pass one that does not wait). */
  sleep?: (ms: number) => Promise<void>;
  retry?: RetryPolicy;
  onRetry?: (error: unknown) => void;
}

/**
 * A whole pass with the use cases called directly, retried as the orchestration retries its
 * activities (each batch of a round on its own, as each is its own activity there).
 */
export async function runSyncPass(steps: SyncSteps, input: SyncPassInput, options: DirectPassOptions = {}): Promise<SyncRun> {
  const identity = { instanceId: options.instanceId ?? 'direct', now: options.now ?? (() => new Date().toISOString()) };

  let current = input;
  for (;;) {
    const pass = syncPass(current, identity);
    let next = pass.next();
    while (!next.done) {
      const step = next.value;
      let result: StepResult;
      try {
        result =
          step.kind === 'synchronize'
            ? await Promise.all(step.batches.map((batch) => withRetry(() => steps.synchronizer.synchronizeBatch(batch), options)))
            : await (step.kind === 'record' ? runStep(steps, step) : withRetry(() => runStep(steps, step), options));
      } catch (error) {
        next = pass.throw(error);
        continue;
      }
      next = pass.next(result);
    }
    if (next.value.finished) return next.value.run;
    current = { ...current, run: next.value.run };
  }
}

async function withRetry<T>(call: () => Promise<T>, options: DirectPassOptions): Promise<T> {
  const policy = options.retry ?? STEP_RETRY;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let delay: number = policy.firstRetryIntervalMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= policy.maxAttempts) throw error;
      options.onRetry?.(error);
      await sleep(delay);
      delay = Math.min(delay * policy.backoffCoefficient, policy.maxRetryIntervalMs);
    }
  }
}
