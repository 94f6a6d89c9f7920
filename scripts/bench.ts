/**
 * `npm run bench`: DESIGN.md section 8 measured in one run, each figure next to a floor measured
 * on the same emulators in the same run (a bare script doing the least storage work the figure
 * can cost), so the ratios hold on any machine and under noise from other work.
 *
 *   npm run bench                      full sizes (2,000 sign-ups, drains of 20,000, 5,000 and 50,000)
 *   npm run bench -- --quick           small sizes, a few minutes
 *   BENCH_DRAIN=5000 npm run bench     any size by env var or flag (see scripts/bench/options.ts)
 *   Sync__batchSize=100 npm run bench  try another sync tuning
 *
 * Scenarios live in scripts/bench/: signup.ts, drain.ts (drain and scale), time-to-hq.ts (over HTTP
 * through the local host), floors.ts, report.ts.
 */
import { startEmulators } from './emulators';
import { drainScenario, scaleScenario } from './bench/drain';
import { readOptions } from './bench/options';
import { Progress } from './bench/progress';
import { renderTable, Row, writeResults } from './bench/report';
import { signUpScenario } from './bench/signup';
import { overHttpScenario } from './bench/time-to-hq';

async function main(): Promise<number> {
  const options = readOptions();
  const progress = new Progress();
  const startedAt = new Date();
  progress.note(
    `bench: sign-ups ${options.signUps} at c=${options.concurrency}, drain ${options.drain} (floor ${options.drainFloor}), ` +
      `scale ${options.scaleSmall} vs ${options.scaleLarge}${options.quick ? ' (quick)' : ''}`,
  );
  const starting = progress.phase('starting emulators (Azurite, Cosmos DB server)');
  const emulators = await startEmulators();
  starting.done();
  // Ctrl-C or a kill must not leave the emulators running: stop exactly what this run started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void emulators.stop().finally(() => process.exit(130));
    });
  }
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  let failed: Error | undefined;
  try {
    const scenarios: [string, () => Promise<{ rows: Row[]; details: Record<string, unknown> }>][] = [
      ['signup', () => signUpScenario(emulators, options, progress)],
      ['drain', () => drainScenario(emulators, options, progress)],
      ['scale', () => scaleScenario(emulators, options, progress)],
      ['time-to-hq', () => overHttpScenario(emulators, options, progress)],
    ];
    for (const [name, run] of scenarios) {
      if (!options.only.has(name)) continue;
      try {
        const result = await run();
        rows.push(...result.rows);
        Object.assign(details, result.details);
      } catch (error) {
        // One broken scenario should not hide the others' figures: report it as a failed row.
        failed = error as Error;
        progress.note(`scenario ${name} failed: ${(error as Error).stack ?? error}`);
        rows.push({ figure: `${name} scenario`, value: 'error', target: '-', pass: false, note: (error as Error).message });
      }
    }
  } finally {
    const stopping = progress.phase('stopping emulators');
    await emulators.stop();
    stopping.done();
  }
  const file = writeResults(rows, options, details, startedAt);
  console.log(`\nsizes: sign-ups ${options.signUps} per subject at concurrency ${options.concurrency}; drain ${options.drain} (floor ${options.drainFloor}); scale ${options.scaleSmall} vs ${options.scaleLarge}`);
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
