/**
 * Drain figures (DESIGN.md section 8, second and third bullets): a queued backlog synchronized
 * into HQ, timed from the first upload receive to the last synchronize round, by the core's one
 * sync pass (use-cases/sync-pass.ts) with the use cases called directly: the same steps, end
 * condition and retry policy as the `customerSync` orchestration.
 */
import type { RunningEmulators } from '../emulators';
import { addCounts, emptyCounts, SyncCounts, UploadResult } from '../../shared/core/domain/sync-run';
import { runSyncPass, SyncSteps } from '../../shared/core/use-cases/sync-pass';
import { BenchApp, createBenchApp } from './app';
import { signUpBody } from './backlog';
import { perUnit, RequestTally, round } from './counting';
import { drainFloor } from './floors';
import { runLoad } from './load';
import { transient, withRetry } from './retry';
import { MemoryPeak, MemorySampler } from './memory';
import type { BenchOptions } from './options';
import type { Progress } from './progress';
import type { Row } from './report';

/** DESIGN.md section 8: the drain at least 0.8x its bare floor, at most 4.2 Cosmos requests per customer (floor 4). */
const DRAIN_TARGET = 0.8;
const COSMOS_PER_CUSTOMER_TARGET = 4.2;
/** DESIGN.md section 8: draining the large backlog costs at most 1.2x per customer what the small one does, raw. */
const SCALE_TARGET = 1.2;

/** Seeding is not measured: it only has to be quick, so it runs wider than the sign-up figures. */
const SEED_CONCURRENCY = 48;

export interface DrainMeasurement {
  customers: number;
  elapsedMs: number;
  uploadMs: number;
  syncMs: number;
  rounds: number;
  perSecond: number;
  msPerCustomer: number;
  cosmosPerCustomer: number;
  queuePerCustomer: number;
  cosmos: RequestTally;
  queue: RequestTally;
  cosmosByKindPerCustomer: Record<string, number>;
  memory: MemoryPeak;
  upload: UploadResult;
  sync: SyncCounts;
  /** Activities the orchestration's retry policy would have run again (a transient storage error). */
  activityRetries: number;
}

/**
 * Queues `count` async sign-ups through the app's own service: the same documents and messages.
 * A sign-up that fails on a transient error is sent again, as a storefront would (the same
 * identity, so it is one customer): once in a 20,000 seeding a connection drops.
 */
export async function seedBacklog(app: BenchApp, count: number, progress: Progress, label: string, timeoutMs: number): Promise<void> {
  const phase = progress.phase(`seed ${label}: ${count} async sign-ups`, count);
  let retries = 0;
  const signUp = (i: number) => {
    const body = signUpBody(i);
    return withRetry(() => app.services.customers.signUp('FABRIKAM', body), { attempts: 4, firstDelayMs: 250, retryIf: transient, onRetry: () => retries++ });
  };
  const result = await runLoad(count, SEED_CONCURRENCY, (i) => signUp(i).then(() => undefined), { phase, timeoutMs });
  phase.done(`${result.perSecond.toFixed(0)}/s${retries ? `, ${retries} sent again after a transient error` : ''}`);
  if (result.errors > 0) throw new Error(`seeding ${label}: ${result.errors} sign-ups failed, first: ${result.firstError}`);
}

/** Drains the app's queued backlog the way the orchestration does, counting requests and memory. */
export async function drainApp(app: BenchApp, expected: number, progress: Progress, label: string, timeoutMs: number): Promise<DrainMeasurement> {
  const { sync } = app.config;
  app.counter.reset();
  // Starts with a full GC, so the drain's memory peak is its own and not the seeding's garbage.
  const memory = new MemorySampler();
  memory.start(100);
  const phase = progress.phase(`drain ${label}: ${expected} operations`, expected * 2);

  const t0 = performance.now();
  let t1 = t0;
  let uploaded: UploadResult = { received: 0, uploaded: 0, duplicates: 0, poisoned: 0, errors: 0 };
  let total = emptyCounts();
  let activityRetries = 0;
  // The app's own use cases, watched: the upload's result and each batch's counts as they come.
  const steps: SyncSteps = {
    runs: app.services.runs,
    uploader: {
      upload: async (options) => {
        uploaded = await app.services.uploader.upload(options);
        // Streaming: the upload synchronizes what it stages, so its own counts are part of the drain.
        if (uploaded.synchronized) total = addCounts(total, uploaded.synchronized);
        phase.tick(uploaded.received + (uploaded.synchronized?.completed ?? 0));
        t1 = performance.now();
        return uploaded;
      },
    },
    synchronizer: {
      synchronizeBatch: async (request) => {
        if (performance.now() - t0 > timeoutMs) throw new Error(`drain ${label}: over ${timeoutMs} ms`);
        const moved = await app.services.synchronizer.synchronizeBatch(request);
        total = addCounts(total, moved);
        phase.tick(moved.completed + moved.failed);
        return moved;
      },
    },
  };
  const run = await runSyncPass(steps, { trigger: 'bench', settings: sync }, { instanceId: 'bench', onRetry: () => activityRetries++ });
  const rounds = run.rounds;
  const t2 = performance.now();
  const peak = memory.stop();
  const elapsedMs = t2 - t0;
  phase.done(`${((total.completed / elapsedMs) * 1000).toFixed(0)} customers/s, ${rounds} rounds, ${activityRetries} activity retries`);

  // The synchronized count is the truth: after a retried upload activity, operations staged by
  // the failed attempt are counted by neither attempt's result, but synchronize still finds them.
  if ((uploaded.uploaded !== expected && activityRetries === 0) || total.completed !== expected || total.failed > 0) {
    throw new Error(
      `drain ${label}: expected ${expected} completed, got upload ${JSON.stringify(uploaded)}, sync ${JSON.stringify(total)} after ${rounds} rounds`,
    );
  }
  const customers = expected;
  const { cosmos, queue } = app.counter;
  return {
    customers,
    elapsedMs,
    uploadMs: t1 - t0,
    syncMs: t2 - t1,
    rounds,
    perSecond: (customers / elapsedMs) * 1000,
    msPerCustomer: elapsedMs / customers,
    cosmosPerCustomer: cosmos.total / customers,
    queuePerCustomer: queue.total / customers,
    cosmos,
    queue,
    cosmosByKindPerCustomer: perUnit(cosmos, customers),
    memory: peak,
    upload: uploaded,
    sync: total,
    activityRetries,
  };
}

/** The bare floor's rate on its own seeded backlog (see floors.ts for what it does). */
async function floorRate(emulators: RunningEmulators, count: number, progress: Progress, label: string, timeoutMs: number) {
  const app = await createBenchApp(emulators);
  try {
    await seedBacklog(app, count, progress, `${label} floor`, timeoutMs);
    const phase = progress.phase(`drain floor ${label}: bare 4 writes + receive/delete per customer`, count);
    const result = await drainFloor(app.config, count, phase, timeoutMs);
    phase.done(`${result.perSecond.toFixed(0)} customers/s`);
    return result;
  } finally {
    await app.dispose();
  }
}

function brief(m: DrainMeasurement) {
  const { cosmos, queue, ...rest } = m;
  return {
    ...rest,
    cosmosByKind: cosmos.byKind,
    cosmosMsByKind: Object.fromEntries(Object.entries(cosmos.msByKind).map(([k, v]) => [k, Math.round(v)])),
    queueByKind: queue.byKind,
  };
}

type FloorResult = Awaited<ReturnType<typeof floorRate>>;
export interface SizedDrain {
  size: number;
  floor: FloorResult;
  drain: DrainMeasurement;
  sync: BenchApp['config']['sync'];
}

const measured = new Map<string, Promise<SizedDrain>>();

/**
 * The floor and the app, each draining a backlog of `size`, back to back. The floor drains a
 * backlog of the same size, and never while another backlog is queued, so whatever an emulator
 * still costs per stored message weighs on both alike (unpatched, Azurite scanned and re-sorted
 * every stored message on each receive and delete: see docs/performance.md). Cached per size and
 * floor size, so the drain and scale scenarios share a measurement when their sizes coincide.
 */
export function measureAtSize(emulators: RunningEmulators, size: number, floorSize: number, options: BenchOptions, progress: Progress): Promise<SizedDrain> {
  const key = `${size}/${floorSize}`;
  let pending = measured.get(key);
  if (!pending) {
    pending = (async () => {
      const floor = await floorRate(emulators, floorSize, progress, `backlog ${size}`, options.phaseTimeoutMs);
      const app = await createBenchApp(emulators);
      try {
        await seedBacklog(app, size, progress, `backlog ${size}`, options.phaseTimeoutMs);
        const drain = await drainApp(app, size, progress, `backlog ${size}`, options.phaseTimeoutMs);
        return { size, floor, drain, sync: app.config.sync };
      } finally {
        await app.dispose();
      }
    })();
    measured.set(key, pending);
  }
  return pending;
}

export async function drainScenario(
  emulators: RunningEmulators,
  options: BenchOptions,
  progress: Progress,
): Promise<{ rows: Row[]; details: Record<string, unknown> }> {
  const { floor, drain: measured, sync } = await measureAtSize(emulators, options.drain, options.drainFloor, options, progress);
  const queries = measured.cosmos.byKind['query docs'] ?? 0;
  const queryMs = queries > 0 ? (measured.cosmos.msByKind['query docs'] ?? 0) / queries : 0;
  const ratio = measured.perSecond / floor.perSecond;
  const floorCosmos = floor.cosmosRequests / floor.count;
  const rows: Row[] = [
    {
      figure: `drain ${options.drain} queued ops (customers/s)`,
      value: measured.perSecond,
      unit: '/s',
      floor: floor.perSecond,
      ratio,
      target: `>= ${DRAIN_TARGET}x floor`,
      pass: ratio >= DRAIN_TARGET,
      note:
        `floor: bare pipeline on a backlog of ${floor.count}, drained just before the app's; ` +
        `upload ${(measured.uploadMs / 1000).toFixed(0)} s + synchronize ${(measured.syncMs / 1000).toFixed(0)} s; ` +
        `Sync__batchSize ${sync.batchSize}, Sync__maxParallelBatches ${sync.maxParallelBatches}`,
    },
    {
      figure: 'drain: planner queries (count; mean latency)',
      value: `${queries}; ${queryMs.toFixed(0)} ms`,
      target: '-',
      pass: null,
      note: 'the Cosmos server evaluates every query over the whole container in JS (linear in its size with the patch, sort aside; quadratic without)',
    },
    {
      figure: 'drain: Cosmos requests per customer',
      value: round(measured.cosmosPerCustomer, 2),
      floor: round(floorCosmos, 2),
      ratio: measured.cosmosPerCustomer / floorCosmos,
      target: `<= ${COSMOS_PER_CUSTOMER_TARGET}`,
      pass: measured.cosmosPerCustomer <= COSMOS_PER_CUSTOMER_TARGET,
    },
    {
      figure: 'drain: queue requests per customer',
      value: round(measured.queuePerCustomer, 2),
      floor: round(floor.queueRequests / floor.count, 2),
      ratio: measured.queuePerCustomer / (floor.queueRequests / floor.count),
      target: '-',
      pass: null,
    },
  ];
  return {
    rows,
    details: {
      drain: {
        app: brief(measured),
        floor: { count: floor.count, perSecond: floor.perSecond, elapsedMs: floor.elapsedMs, cosmosPerCustomer: floorCosmos },
        sync,
      },
    },
  };
}

/**
 * Scale: the same drain at two backlog sizes, each in a fresh app. Cost per customer is wall
 * time and requests per customer, raw and divided by a bare floor draining the same size just
 * before it (which takes out both machine load and the emulators' own growth with backlog).
 */
export async function scaleScenario(
  emulators: RunningEmulators,
  options: BenchOptions,
  progress: Progress,
): Promise<{ rows: Row[]; details: Record<string, unknown> }> {
  // Each size against a floor draining the same size: the ratio of ratios is the app's own
  // scaling, with whatever the emulators add per stored message divided out.
  const small = await measureAtSize(emulators, options.scaleSmall, options.scaleSmall, options, progress);
  const large = await measureAtSize(emulators, options.scaleLarge, options.scaleLarge, options, progress);
  const timeRatio = large.drain.msPerCustomer / small.drain.msPerCustomer;
  const floorMs = (f: { elapsedMs: number; count: number }) => f.elapsedMs / f.count;
  const normalizedRatio = large.drain.msPerCustomer / floorMs(large.floor) / (small.drain.msPerCustomer / floorMs(small.floor));
  const requestRatio = large.drain.cosmosPerCustomer / small.drain.cosmosPerCustomer;
  const peakRss = Math.max(small.drain.memory.rssMb, large.drain.memory.rssMb);
  const heapGrowth = large.drain.memory.liveHeapMb / small.drain.memory.liveHeapMb;
  const rows: Row[] = [
    {
      figure: `scale: ms per customer, ${options.scaleLarge} vs ${options.scaleSmall}`,
      value: large.drain.msPerCustomer,
      unit: 'ms',
      floor: small.drain.msPerCustomer,
      ratio: timeRatio,
      target: `<= ${SCALE_TARGET}x (raw)`,
      pass: timeRatio <= SCALE_TARGET,
      note: 'floor column: the small drain; judged raw, as DESIGN.md section 8 says',
    },
    {
      figure: 'scale: same, each normalized by its same-size floor',
      value: round(large.drain.msPerCustomer / floorMs(large.floor), 2),
      floor: round(small.drain.msPerCustomer / floorMs(small.floor), 2),
      ratio: normalizedRatio,
      target: '-',
      pass: null,
      note: 'information: app ms per customer / floor ms per customer, so what the emulators add with the backlog shows apart from the app',
    },
    {
      figure: `scale: Cosmos requests per customer, ${options.scaleLarge} vs ${options.scaleSmall}`,
      value: round(large.drain.cosmosPerCustomer, 2),
      floor: round(small.drain.cosmosPerCustomer, 2),
      ratio: requestRatio,
      target: `<= ${COSMOS_PER_CUSTOMER_TARGET} at both`,
      pass: Math.max(large.drain.cosmosPerCustomer, small.drain.cosmosPerCustomer) <= COSMOS_PER_CUSTOMER_TARGET,
    },
    {
      figure: 'scale: peak RSS of the bench process during drains',
      value: peakRss,
      unit: 'MB',
      floor: small.drain.memory.rssMb,
      ratio: large.drain.memory.rssMb / small.drain.memory.rssMb,
      target: '< 512 MB',
      pass: peakRss < 512,
      note: 'floor column: peak RSS of the small drain',
    },
    {
      figure: `scale: peak live heap (after GC), ${options.scaleLarge} vs ${options.scaleSmall}`,
      value: large.drain.memory.liveHeapMb,
      unit: 'MB',
      floor: small.drain.memory.liveHeapMb,
      ratio: heapGrowth,
      target: '<= 1.3x (no growth)',
      pass: heapGrowth <= 1.3,
      note: `heapUsed right after each full GC V8 ran during the drain (${large.drain.memory.liveSamples} and ${small.drain.memory.liveSamples} samples): what the drain keeps`,
    },
    {
      figure: `scale: peak heapUsed (garbage included), ${options.scaleLarge} vs ${options.scaleSmall}`,
      value: large.drain.memory.heapUsedMb,
      unit: 'MB',
      floor: small.drain.memory.heapUsedMb,
      ratio: large.drain.memory.heapUsedMb / small.drain.memory.heapUsedMb,
      target: '-',
      pass: null,
    },
  ];
  return {
    rows,
    details: {
      scale: {
        small: { drain: brief(small.drain), floorPerSecond: small.floor.perSecond },
        large: { drain: brief(large.drain), floorPerSecond: large.floor.perSecond },
      },
    },
  };
}
