/**
 * `npm start`: emulators, storage provisioning, then the app, on http://localhost:7071.
 * Runs `func start` when Azure Functions Core Tools is on PATH, else the local host (the
 * @async-customer/local-host package in scripts/local-host). Ctrl-C stops what this script started and nothing else.
 *
 * Local data: Azurite and the Cosmos DB server keep their data in one folder of the working tree,
 * `.local-data/` (ignored by git; `LOCAL_DATA_DIR` moves it), restored at every start: see
 * docs/local-data.md. `npm run reset` (scripts/reset.ts) wipes it. The emulators run on the ports
 * the settings name (`AzureWebJobsStorage`, `CosmosDb__endpoint`); one whose setting points off
 * this machine is not started, and nothing of it is local data.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startEmulators } from './emulators';
import { functionKeysFromEnv, loadLocalSettings, startLocalHost } from '@async-customer/local-host';
import { catchUpAfterHardKill, markInterruptedRuns, synchronizeLeftStaged } from './local-data/catch-up';
import { describeCounts } from './local-data/cosmos-files';
import { localCosmosPort, localStoragePorts } from './local-data/endpoints';
import {
  COSMOS_SERVER_MARKER,
  DEFAULT_LOCAL_DATA,
  liveProcesses,
  stopAdvice,
  stopLeftBehind,
  localDataDir,
  localDataLayout,
  readRunning,
  removeRunning,
  writeRunning,
} from './local-data/folder';
import { readConfig } from '../shared/core/config/settings';
import { createServices, provisionStorage } from '../functions/composition-root';
import { CosmosChannelCustomers } from '../shared/adapters/cosmos/channel-customers';

const root = path.resolve(__dirname, '..', '..');
const log = (line: string) => console.log(line);

function onPath(command: string): boolean {
  return spawnSync(process.platform === 'win32' ? 'where' : 'which', [command], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
  const settings = path.join(root, 'local.settings.json');
  if (!existsSync(settings)) {
    copyFileSync(path.join(root, 'local.settings.sample.json'), settings);
    log('Created local.settings.json from local.settings.sample.json');
  }
  loadLocalSettings(root, process.env);

  const layout = localDataLayout(localDataDir(root));
  const previous = readRunning(layout);
  const stopped = await stopLeftBehind(previous);
  if (stopped.length > 0) log(`Stopped what a killed npm start left running: ${stopped.join(', ')} (each saved its data first)`);
  const stillRunning = liveProcesses(previous);
  if (stillRunning.length > 0) {
    console.error(`${stillRunning.join(', ')} already run(s) from ${layout.dir}. ${stopAdvice(stillRunning)}`);
    process.exit(1);
  }
  // The record is removed at a clean stop: still there, the last run was killed (or crashed).
  const hardKilled = previous !== undefined;

  const storagePorts = localStoragePorts(process.env.AzureWebJobsStorage);
  const cosmosPort = localCosmosPort(process.env.CosmosDb__endpoint);
  mkdirSync(layout.dir, { recursive: true });
  log(`Local data: ${layout.dir} (azurite/ and cosmos/; \`npm run reset\` wipes it)`);
  if (!storagePorts) log('  AzureWebJobsStorage is not local Azurite: not starting Azurite; that storage keeps its own data');
  if (cosmosPort === undefined) log('  CosmosDb__endpoint is not on this machine: not starting the Cosmos DB server; that account keeps its own data');

  const emulators = await startEmulators({
    storagePorts: storagePorts ?? { blob: 0, queue: 0, table: 0 },
    cosmosPort: cosmosPort ?? 0,
    skip: { storage: !storagePorts, cosmos: cosmosPort === undefined },
    dataDir: layout.dir,
    reuseRunning: true,
    log,
  });
  const { azurite, cosmos } = emulators.started ?? {};
  writeRunning(layout, {
    startedAt: new Date().toISOString(),
    start: { pid: process.pid, marker: 'start' },
    ...(azurite ? { azurite: { pid: azurite.pid, marker: 'azurite', ports: azurite.ports } } : {}),
    ...(cosmos ? { cosmos: { pid: cosmos.pid, marker: COSMOS_SERVER_MARKER, port: cosmos.port } } : {}),
  });

  const cleanups: (() => Promise<void>)[] = [
    async () => {
      await emulators.stop();
      removeRunning(layout);
    },
  ];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => console.error(e));
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  try {
    const config = readConfig();
    await provisionStorage(config);
    log('Storage provisioned (databases, containers, queues)');
    await reportAndCatchUp(config, { cosmosRestored: cosmos?.restored?.restored, azuriteStarted: azurite !== undefined, hardKilled });
    if (existsSync(path.join(root, '.azurite')) && path.basename(layout.dir) === DEFAULT_LOCAL_DATA) {
      log('  (.azurite/ holds Azurite data from before local data moved to .local-data/; nothing uses it now: delete it when you like)');
    }
    const port = Number(process.env.PORT ?? 7071);
    if (onPath('func')) {
      log('Azure Functions Core Tools found: running func start');
      const func: ChildProcess = spawn('func', ['start', '--port', String(port)], { cwd: root, stdio: 'inherit' });
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            if (func.exitCode !== null) return resolve();
            func.once('exit', () => resolve());
            func.kill('SIGINT');
          }),
      );
      func.once('exit', (code) => void stop(code ?? 0));
    } else {
      log('Azure Functions Core Tools not on PATH: serving the app with the local host (scripts/local-host)');
      // Keys are enforced only when LocalHost__masterKey is set (off by default, as with Core Tools).
      const host = await startLocalHost({ appRoot: root, port, keys: functionKeysFromEnv(process.env) });
      cleanups.push(() => host.stop());
    }
  } catch (error) {
    console.error(error);
    await stop(1);
  }
}

/**
 * What the local data holds now (counts only: never a name or an email), and after a hard kill,
 * the operations whose queue messages Azurite may have lost, staged from the channel (catch-up.ts).
 */
async function reportAndCatchUp(
  config: ReturnType<typeof readConfig>,
  { cosmosRestored, azuriteStarted, hardKilled }: { cosmosRestored?: Parameters<typeof describeCounts>[0]; azuriteStarted: boolean; hardKilled: boolean },
): Promise<void> {
  if (cosmosRestored) log(`  Cosmos DB server (cosmos/): restored ${describeCounts(cosmosRestored)}`);
  const services = createServices(config);
  try {
    if (azuriteStarted) {
      const depth = await services.queue.approximateDepth();
      log(`  Azurite (azurite/): ${depth.queued} queued operation message(s), ${depth.poisoned} set aside as poison`);
    }
    // Customers kept from before customer search existed get their search keys (counts only).
    if (services.channel instanceof CosmosChannelCustomers) {
      const indexed = await services.channel.backfillSearchKeys();
      if (indexed > 0) log(`  ${indexed} channel customer(s) from before customer search got their search keys`);
    }
    if (hardKilled) {
      log('The last npm start did not stop cleanly (killed?): queueing again, from the channel, the operations Azurite may have lost');
      const caughtUp = await catchUpAfterHardKill(services);
      log(
        `  ${caughtUp.queued} operation(s) of ${caughtUp.customers} customer(s) queued again${caughtUp.errors ? `; ${caughtUp.errors} left to the sync runs after a storage error` : ''}`,
      );
      const interrupted = await markInterruptedRuns(services.runs);
      if (interrupted > 0) log(`  ${interrupted} sync run record(s) that said Running marked Failed (interrupted); a run whose orchestration survived resumes`);
      await synchronizeLeftStaged(services).then(
        (run) => log(`  ${run.completed} staged operation(s) the kill left unfinished synchronized (${run.failed} failed, ${run.waiting} waiting)`),
        // Not a reason to stay down: the loop's next full pass does the same.
        (error: Error) => log(`  staged operations left to the sync loop's next full pass: ${error.message}`),
      );
    }
  } finally {
    services.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
