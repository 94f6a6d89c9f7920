/**
 * `npm run bench`: DESIGN.md section 8 measured in one run, each figure next to a floor measured
 * on the same emulators in the same run (a bare script doing the least storage work the figure
 * can cost), so the ratios hold on any machine and under noise from other work.
 *
 *   npm run bench                      DESIGN sizes (2,000 sign-ups; drain 20,000; scale 2,000 vs 20,000;
 *                                      50 sign-ups/s for 60 s in continuous mode; recovery of 1,000)
 *   npm run bench -- --quick           small sizes, a few minutes
 *   BENCH_DRAIN=5000 npm run bench     any size by env var or flag (see scripts/bench/options.ts)
 *   Sync__batchSize=100 npm run bench  try another sync tuning
 *
 * Scenarios live in scripts/bench/: signup.ts, drain.ts (drain and scale), time-to-hq.ts (over HTTP
 * through the local host), continuous.ts (time to HQ with no operator, after idling, on demand; the
 * idle loop's storage requests), recovery.ts (SIGKILL of the host mid-upload), floors.ts, report.ts.
 */
import { RunningEmulators, startEmulators } from './emulators';
import { drainScenario, scaleScenario } from './bench/drain';
import { readOptions } from './bench/options';
import { Progress } from './bench/progress';
import { renderTable, Row, writeResults } from './bench/report';
import { signUpScenario } from './bench/signup';
import { overHttpScenario } from './bench/time-to-hq';
import { continuousScenario } from './bench/continuous';
import { recoveryScenario } from './bench/recovery';

async function main(): Promise<number> {
  const options = readOptions();
  const progress = new Progress();
  const startedAt = new Date();
  progress.note(
    `bench: sign-ups ${options.signUps} at c=${options.concurrency}, drain ${options.drain} (floor ${options.drainFloor}), ` +
      `scale ${options.scaleSmall} vs ${options.scaleLarge}, continuous ${options.steadyRate}/s for ${options.steadySeconds} s, ` +
      `recovery ${options.recoveryBacklog}${options.quick ? ' (quick)' : ''}`,
  );
  // Each scenario gets emulators of its own: both are single Node processes holding everything in
  // memory, so one scenario's leftovers (a deleted 20,000-document database, queues, extents still
  // being collected) would otherwise slow the next one down.
  let running: RunningEmulators | undefined;
  // Ctrl-C or a kill must not leave the emulators running: stop exactly what this run started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  let failed: Error | undefined;
  const scenarios: [string, (emulators: RunningEmulators) => Promise<{ rows: Row[]; details: Record<string, unknown> }>][] = [
    ['signup', (emulators) => signUpScenario(emulators, options, progress)],
    ['drain', (emulators) => drainScenario(emulators, options, progress)],
    ['scale', (emulators) => scaleScenario(emulators, options, progress)],
    ['time-to-hq', (emulators) => overHttpScenario(emulators, options, progress)],
    ['continuous', (emulators) => continuousScenario(emulators, options, progress)],
    ['recovery', (emulators) => recoveryScenario(emulators, options, progress)],
  ];
  for (const [name, run] of scenarios) {
    if (!options.only.has(name)) continue;
    const starting = progress.phase(`${name}: starting emulators (Azurite, Cosmos DB server)`);
    try {
      running = await startEmulators();
      starting.done();
      const result = await run(running);
      rows.push(...result.rows);
      Object.assign(details, result.details);
    } catch (error) {
      // One broken scenario should not hide the others' figures: report it as a failed row.
      failed = error as Error;
      progress.note(`scenario ${name} failed: ${(error as Error).stack ?? String(error)}`);
      rows.push({ figure: `${name} scenario`, value: 'error', target: '-', pass: false, note: (error as Error).message });
    } finally {
      const stopping = progress.phase(`${name}: stopping emulators`);
      await running?.stop();
      running = undefined;
      stopping.done();
    }
  }
  const file = writeResults(rows, options, details, startedAt);
  console.log(
    `\nsizes: sign-ups ${options.signUps} per subject at concurrency ${options.concurrency}; drain ${options.drain} (floor ${options.drainFloor}); ` +
      `scale ${options.scaleSmall} vs ${options.scaleLarge}; continuous ${options.steadyRate}/s for ${options.steadySeconds} s, idle window ${options.idleWindowSeconds} s; ` +
      `recovery ${options.recoveryBacklog}; took ${((Date.now() - startedAt.getTime()) / 60_000).toFixed(1)} min`,
  );
  console.log(renderTable(rows));
  for (const row of rows) if (row.note) console.log(`  - ${row.figure}: ${row.note}`);
  console.log(`\nresults: ${file}`);
  return failed || rows.some((r) => r.pass === false) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
