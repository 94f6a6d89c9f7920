/**
 * `npm run reset`: wipes the local data of both emulators at once (the whole `.local-data/`
 * folder, or `LOCAL_DATA_DIR`), and says what it removed: paths and counts, never a name. It
 * refuses while an `npm start` (or an emulator it started) still runs from that folder: those
 * processes hold the data in memory and would write it back.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { countStore, describeCounts, readStore } from './local-data/cosmos-files';
import {
  COSMOS_SERVER_MARKER,
  describeStats,
  folderStats,
  isAlive,
  liveProcesses,
  stopAdvice,
  localDataDir,
  localDataLayout,
  readRunning,
} from './local-data/folder';

const root = path.resolve(__dirname, '..', '..');

export function reset(dir: string, log: (line: string) => void = console.log): number {
  const layout = localDataLayout(dir);
  const running = liveProcesses(readRunning(layout));
  const lock = path.join(layout.cosmos, 'server.pid');
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8'));
    if (pid && isAlive({ pid, marker: COSMOS_SERVER_MARKER }) && !running.some((p) => p.includes(`pid ${pid})`))) running.push(`Cosmos DB server (pid ${pid})`);
  }
  if (running.length > 0) {
    log(`Not resetting ${layout.dir}: ${running.join(', ')} still run(s) from it and would write the data back.`);
    log(`${stopAdvice(running)} Then run \`npm run reset\` again.`);
    return 1;
  }
  if (!existsSync(layout.dir)) {
    log(`Nothing to reset: ${layout.dir} does not exist.`);
    return 0;
  }

  let cosmos: string;
  try {
    cosmos = describeCounts(countStore(readStore(layout.cosmos).state));
  } catch (error) {
    cosmos = `unreadable (${(error as Error).message})`;
  }
  const lines = [
    `  ${layout.cosmos}: Cosmos DB server data, ${cosmos} (${describeStats(folderStats(layout.cosmos))})`,
    `  ${layout.azurite}: Azurite data (${describeStats(folderStats(layout.azurite))})`,
  ];
  const total = folderStats(layout.dir);
  rmSync(layout.dir, { recursive: true, force: true });
  log(`Removed ${layout.dir} (${describeStats(total)}):`);
  for (const line of lines) log(line);
  log('The next npm start begins with empty emulators.');
  return 0;
}

if (require.main === module) process.exit(reset(localDataDir(root)));
