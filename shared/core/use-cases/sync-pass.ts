/**
 * One sync pass, defined once: upload (the P-job), then rounds of synchronize batches fanned out
 * over customer groups (each batch also distributes its results, job 1010), until nothing moves.
 *
 * The pass is a generator of steps, so every driver runs this one definition: the durable
 * orchestration turns each step into activity calls (functions/sync/customer-sync.ts), and
 * `runSyncPass` below calls the use cases directly (the on-demand tests and the benchmark).
 * The loop, its end condition and its retry policy live here and nowhere else.
 */
import { z } from 'zod';
import type { AppConfig } from '../config/settings';
import { addCounts, emptyCounts, moved, newRun, SyncCounts, SyncRun, UploadResult, withUpload } from '../domain/sync-run';
import type { RunLog } from '../ports/run-log';
import type { BatchRequest, Synchronizer } from './synchronize';
import type { Uploader, UploadOptions } from './upload';

export type PassKind = 'full' | 'stream';

export interface SyncPassInput {
  /** What started the pass: 'timer', 'http', or another driver's name. */
  trigger: string;
  settings: AppConfig['sync'];
  /**
   * `full` (default): reconcile, upload (synchronizing what it stages), then rounds of batches
   * until nothing moves: retries, reconciled and left-over operations. `stream`: upload only, and
   * rounds only when something it staged waits or hit an error; recorded only when it did work.
   */
  kind?: PassKind;
  /** Carried over from the previous execution when a long pass continues (see ROUNDS_PER_EXECUTION). */
  run?: SyncRun;
  /** Upload options beyond the settings' (tests shorten the visibility timeout). */
  upload?: Partial<UploadOptions>;
}

export type SyncStep = { kind: 'record'; run: SyncRun } | { kind: 'upload'; options: UploadOptions } | { kind: 'synchronize'; batches: BatchRequest[] };

/** What each step answers: nothing, the upload's result, one count per batch. */
export type StepResult = void | UploadResult | SyncCounts[];

export interface SyncPassOutcome {
  run: SyncRun;
  /** False when the pass stopped after ROUNDS_PER_EXECUTION rounds with work left: run it again with `run`. */
  finished: boolean;
  /** Whether the pass took or moved anything: a continuous loop passes again at once. */
  busy: boolean;
}

/** Rounds per execution before the pass hands over: bounds the history a durable replay walks. */
export const ROUNDS_PER_EXECUTION = 20;

/** How a failed step is tried again: 4 tries from 1 s, doubling, at most 30 s apart. */
export const STEP_RETRY = { firstRetryIntervalMs: 1000, maxAttempts: 4, backoffCoefficient: 2, maxRetryIntervalMs: 30_000 } as const;

export type RetryPolicy = typeof STEP_RETRY;

export const HQ_UNAVAILABLE = 'HQ unavailable (servicing): nothing was synchronized; operations wait on the queue';

export function* syncPass(input: SyncPassInput, identity: { instanceId: string; now: () => string }): Generator<SyncStep, SyncPassOutcome, StepResult> {
  const { settings } = input;
  const kind = input.kind ?? 'full';
  let run = input.run ?? newRun(`${identity.instanceId}@${identity.now()}`, identity.instanceId, input.trigger, identity.now());
  let busy = false;
  const finish = function* (status: SyncRun['status'], extra: Partial<SyncRun> = {}) {
    run = { ...run, ...extra, status, finishedAt: identity.now() };
    if (kind === 'full' || busy) yield { kind: 'record', run } as SyncStep;
    return { run, finished: true, busy };
  };
  try {
    if (!input.run) {
      if (kind === 'full') yield { kind: 'record', run };
      const options: UploadOptions = { maxMessages: settings.maxMessagesPerRun, runId: run.id, reconcile: kind === 'full', ...input.upload };
      const upload = (yield { kind: 'upload', options }) as UploadResult;
      run = withUpload(run, upload);
      busy = upload.received + upload.uploaded > 0;
      if (upload.hqUnavailable) return yield* finish('Completed', { hqUnavailable: true, error: HQ_UNAVAILABLE });
      const left = upload.synchronized;
      if (kind === 'stream' && left && left.waiting + left.errors + upload.errors === 0) return yield* finish('Completed');
    }
    for (let round = 0; round < ROUNDS_PER_EXECUTION; round++) {
      const groups = settings.maxParallelBatches;
      const batches = Array.from({ length: groups }, (_, group): BatchRequest => ({ runId: run.id, group, groups, batchSize: settings.batchSize }));
      const results = (yield { kind: 'synchronize', batches }) as SyncCounts[];
      const total = results.reduce(addCounts, emptyCounts());
      run = { ...run, ...addCounts(run, total), rounds: run.rounds + 1 };
      if (total.hqUnavailable) return yield* finish('Completed', { hqUnavailable: true, error: HQ_UNAVAILABLE });
      if (!moved(total)) return yield* finish('Completed');
      busy = true;
    }
    return { run, finished: false, busy: true };
  } catch (error) {
    run = { ...run, status: 'Failed', finishedAt: identity.now(), error: (error as Error).message ?? String(error) };
    yield { kind: 'record', run };
    throw error;
  }
}

/** A continuous loop's state, carried from one iteration to the next (continue-as-new). */
export interface SyncLoopState {
  /** The wait before the next check; 0 while work arrives. Grows while idle, up to Sync__idleDelaySeconds. */
  idleDelayMs: number;
  lastFullPassAt: string | null;
  lastPassAt: string | null;
  hqAvailable: boolean;
}

export interface SyncLoopInput extends SyncPassInput {
  loop?: SyncLoopState;
}

/** What the loop shows operators (the orchestration's custom status; /api/ops/metrics reads it). */
export const syncLoopStatusSchema = z
  .object({
    mode: z.literal('continuous'),
    state: z.enum(['passing', 'idle']),
    lastPassAt: z.iso.datetime().nullable(),
    lastFullPassAt: z.iso.datetime().nullable(),
    idleDelaySeconds: z
      .number()
      .min(0)
      .meta({ description: 'The wait before its next check: 0.5 s doubling up to Sync__idleDelaySeconds while idle; 0 while work arrives.' }),
    hqAvailable: z.boolean(),
  })
  .meta({ id: 'SyncLoopStatus', description: "The continuous loop's own account of itself (the orchestration's custom status)." });
export type SyncLoopStatus = z.output<typeof syncLoopStatusSchema>;

export type LoopStep =
  | SyncStep
  /** Wait `ms`, or less when woken (POST /api/ops/sync/run); answers whether it was woken. */
  | { kind: 'wait'; ms: number }
  | { kind: 'status'; status: SyncLoopStatus };

/** An idle loop still makes a full pass this often: retries, reconciliation, operations left waiting. */
export const FULL_PASS_INTERVAL_MS = 5 * 60_000;
/** The first wait once the loop finds nothing; it doubles from there. */
export const FIRST_IDLE_DELAY_MS = 500;

/**
 * One iteration of the continuous loop: a pass (a full one every FULL_PASS_INTERVAL_MS, else a
 * streaming one), then, when it found nothing, a wait that grows while idle. Answers the input of
 * the next iteration, which the orchestration continues as new with, so its history stays short.
 */
export function* syncLoopIteration(
  input: SyncLoopInput,
  identity: { instanceId: string; now: () => string },
): Generator<LoopStep, SyncLoopInput, StepResult | boolean> {
  const maxDelayMs = input.settings.idleDelaySeconds * 1000;
  const state: SyncLoopState = input.loop ?? { idleDelayMs: 0, lastFullPassAt: null, lastPassAt: null, hqAvailable: true };
  const now = identity.now();
  const status = (s: SyncLoopStatus['state'], st: SyncLoopState): LoopStep => ({
    kind: 'status',
    status: {
      mode: 'continuous',
      state: s,
      lastPassAt: st.lastPassAt,
      lastFullPassAt: st.lastFullPassAt,
      idleDelaySeconds: st.idleDelayMs / 1000,
      hqAvailable: st.hqAvailable,
    },
  });
  const full = input.run ? input.kind === 'full' : !state.lastFullPassAt || Date.parse(now) - Date.parse(state.lastFullPassAt) >= FULL_PASS_INTERVAL_MS;
  const passInput: SyncPassInput = { ...input, kind: full ? 'full' : 'stream' };
  yield status('passing', state);
  const outcome = yield* syncPass(passInput, identity) as Generator<LoopStep, SyncPassOutcome, StepResult | boolean>;
  if (!outcome.finished) return { ...input, kind: passInput.kind, run: outcome.run, loop: state };

  const hqAvailable = !outcome.run.hqUnavailable;
  // A streaming pass records nothing when idle: the outage is recorded once, as it begins.
  if (!hqAvailable && state.hqAvailable && !full) yield { kind: 'record', run: outcome.run };
  const next: SyncLoopState = {
    idleDelayMs: outcome.busy ? 0 : Math.min(maxDelayMs, Math.max(FIRST_IDLE_DELAY_MS, state.idleDelayMs * 2)),
    lastFullPassAt: full ? now : state.lastFullPassAt,
    lastPassAt: now,
    hqAvailable,
  };
  if (next.idleDelayMs > 0) {
    yield status('idle', next);
    const woken = (yield { kind: 'wait', ms: next.idleDelayMs }) as boolean;
    if (woken) next.idleDelayMs = 0;
  }
  const { run: _finished, kind: _kind, ...rest } = input;
  return { ...rest, loop: next };
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
