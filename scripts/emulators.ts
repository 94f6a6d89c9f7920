/**
 * Starts the local stand-ins for Azure: Azurite (blob/queue/table) and the Cosmos DB protocol
 * server, each as a child process, and stops exactly what it started. Used by `npm start`, the
 * tests and the benchmark, so all three run against the same emulators in the same way.
 *
 * By default both keep their data in memory (tests, benchmark). With `dataDir` (only `npm start`)
 * Azurite keeps its data in `<dataDir>/azurite` and the Cosmos DB server runs through
 * local-data/cosmos-server.ts, which keeps its store in `<dataDir>/cosmos`.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { CosmosServerReady } from './local-data/cosmos-server';
import { localDataLayout } from './local-data/folder';

/** The well-known key of the Azure Storage emulator account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** The well-known key of the Cosmos DB emulator. */
export const COSMOS_EMULATOR_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface StoragePorts {
  blob: number;
  queue: number;
  table: number;
}

export interface RunningEmulators {
  storageConnectionString: string;
  cosmosEndpoint: string;
  cosmosKey: string;
  /** What this call started (absent: reused, or not asked for). */
  started?: {
    azurite?: { pid: number; ports: StoragePorts };
    cosmos?: { pid: number; port: number; restored?: CosmosServerReady };
  };
  /** Stops the processes this call started (none when everything was already running). */
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  storagePorts?: StoragePorts;
  cosmosPort?: number;
  /**
   * The local data folder (`npm start` only): Azurite's data in `azurite/`, the Cosmos server's
   * in `cosmos/`, restored at start. Without it both emulators keep everything in memory.
   */
  dataDir?: string;
  /** Leave one emulator out (its endpoint is not local, e.g. a real Cosmos account). */
  skip?: { storage?: boolean; cosmos?: boolean };
  /** Reuse an emulator that already answers on its port instead of failing (npm start). */
  reuseRunning?: boolean;
  /**
   * Start only this one (the contract tests of one technology's adapters); the other's settings
   * in the result then point at a port nothing listens on.
   */
  only?: 'storage' | 'cosmos';
  log?: (line: string) => void;
}

export function storageConnectionString(ports: StoragePorts): string {
  const base = 'http://127.0.0.1';
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=${base}:${ports.blob}/${AZURITE_ACCOUNT}`,
    `QueueEndpoint=${base}:${ports.queue}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=${base}:${ports.table}/${AZURITE_ACCOUNT}`,
  ].join(';');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(port: number, child: ChildProcess, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before listening on ${port}`);
    if (await isListening(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on ${port} within ${timeoutMs} ms`);
}

/** A script of ours as compiled JavaScript: beside this file in dist/, or the build's copy when run from source (jest). */
function compiledScript(relative: string): string {
  const beside = path.join(__dirname, `${relative}.js`);
  return existsSync(beside) ? beside : path.join(__dirname, '..', 'dist', 'scripts', `${relative}.js`);
}

function nodeBin(packageMain: string): string {
  return require.resolve(packageMain);
}

function spawnNode(script: string, args: string[], name: string, log?: (line: string) => void, cwd?: string, ipc = false): ChildProcess {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc' as const] : [])], cwd });
  const forward = (data: Buffer) => {
    for (const line of data.toString().split('\n')) if (line.trim()) log?.(`[${name}] ${line}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs` (the persistent Cosmos server writes its snapshot on SIGTERM). */
async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Waits for the persistent Cosmos server's "ready" message (it has restored its data and listens). */
async function waitForReady(child: ChildProcess, timeoutMs = 60_000): Promise<CosmosServerReady> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Cosmos DB server did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Cosmos DB server exited with code ${code} before it was ready (see the [cosmos] lines above)`));
    });
    child.on('message', (message: CosmosServerReady) => {
      if (message?.type !== 'ready') return;
      clearTimeout(timer);
      resolve(message);
    });
  });
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<RunningEmulators> {
  const storagePorts = options.storagePorts ?? { blob: await freePort(), queue: await freePort(), table: await freePort() };
  const cosmosPort = options.cosmosPort ?? (await freePort());
  const layout = options.dataDir ? localDataLayout(options.dataDir) : undefined;
  const started: ChildProcess[] = [];
  const info: NonNullable<RunningEmulators['started']> = {};
  let tempLocation: string | undefined;
  const skip = { storage: options.skip?.storage || options.only === 'cosmos', cosmos: options.skip?.cosmos || options.only === 'storage' };

  try {
    const storageUp = !skip.storage && options.reuseRunning && (await isListening(storagePorts.queue));
    if (storageUp) {
      options.log?.(`Azurite already answers on ${storagePorts.queue}; using it (its data is wherever it was started)`);
    } else if (!skip.storage) {
      // In-memory Azurite still writes a debug/extent folder: keep it out of the working tree.
      tempLocation = layout ? undefined : mkdtempSync(path.join(os.tmpdir(), 'azurite-'));
      const args = [
        '--silent',
        '--disableTelemetry',
        '--skipApiVersionCheck',
        '--blobPort',
        String(storagePorts.blob),
        '--queuePort',
        String(storagePorts.queue),
        '--tablePort',
        String(storagePorts.table),
      ];
      args.push(...(layout ? ['--location', layout.azurite] : ['--inMemoryPersistence']));
      const azurite = spawnNode(nodeBin('azurite/dist/src/azurite.js'), args, 'azurite', options.log, tempLocation);
      started.push(azurite);
      await Promise.all([
        waitForPort(storagePorts.blob, azurite, 'Azurite blob'),
        waitForPort(storagePorts.queue, azurite, 'Azurite queue'),
        waitForPort(storagePorts.table, azurite, 'Azurite table'),
      ]);
      info.azurite = { pid: azurite.pid!, ports: storagePorts };
    }

    const cosmosUp = !skip.cosmos && options.reuseRunning && (await isListening(cosmosPort));
    if (cosmosUp) {
      options.log?.(`a Cosmos endpoint already answers on ${cosmosPort}; using it (its data is its own)`);
    } else if (!skip.cosmos && layout) {
      const cosmos = spawnNode(
        compiledScript('local-data/cosmos-server'),
        ['--port', String(cosmosPort), '--host', '127.0.0.1', '--data', layout.cosmos],
        'cosmos',
        options.log,
        undefined,
        true,
      );
      started.push(cosmos);
      const ready = await waitForReady(cosmos);
      info.cosmos = { pid: cosmos.pid!, port: cosmosPort, restored: ready };
    } else if (!skip.cosmos) {
      // The package's server with keep-alive connections (cosmos-keep-alive.ts), not its CLI.
      const cosmos = spawnNode(compiledScript('cosmos-keep-alive'), ['--port', String(cosmosPort), '--host', '127.0.0.1'], 'cosmos', options.log);
      started.push(cosmos);
      await waitForPort(cosmosPort, cosmos, 'Cosmos DB server');
      info.cosmos = { pid: cosmos.pid!, port: cosmosPort };
    }
  } catch (error) {
    await Promise.all(started.map((child) => stopChild(child)));
    throw error;
  }

  return {
    storageConnectionString: storageConnectionString(storagePorts),
    cosmosEndpoint: `https://127.0.0.1:${cosmosPort}`,
    cosmosKey: COSMOS_EMULATOR_KEY,
    started: info,
    async stop() {
      await Promise.all(started.map((child) => stopChild(child, layout ? 30_000 : 5_000)));
      if (tempLocation) rmSync(tempLocation, { recursive: true, force: true });
    },
  };
}
