/**
 * Starts the local stand-ins for Azure: Azurite (blob/queue/table) and the Cosmos DB protocol
 * server, each as a child process, and stops exactly what it started. Used by `npm start`, the
 * tests and the benchmark, so all three run against the same emulators in the same way.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

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
  /** Stops the processes this call started (none when everything was already running). */
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  storagePorts?: StoragePorts;
  cosmosPort?: number;
  /** Keep Azurite's data on disk in this folder; by default it is in memory. */
  azuriteLocation?: string;
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

function nodeBin(packageMain: string): string {
  return require.resolve(packageMain);
}

function spawnNode(script: string, args: string[], name: string, log?: (line: string) => void, cwd?: string): ChildProcess {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  const forward = (data: Buffer) => {
    for (const line of data.toString().split('\n')) if (line.trim()) log?.(`[${name}] ${line}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<RunningEmulators> {
  const storagePorts = options.storagePorts ?? { blob: await freePort(), queue: await freePort(), table: await freePort() };
  const cosmosPort = options.cosmosPort ?? (await freePort());
  const started: ChildProcess[] = [];
  let tempLocation: string | undefined;

  try {
    const storageUp = options.reuseRunning && (await isListening(storagePorts.queue));
    if (options.only === 'cosmos') {
      options.log?.('Azurite not wanted; not started');
    } else if (storageUp) {
      options.log?.(`Azurite already answers on ${storagePorts.queue}; using it`);
    } else {
      // In-memory Azurite still writes a debug/extent folder: keep it out of the working tree.
      tempLocation = options.azuriteLocation ? undefined : mkdtempSync(path.join(os.tmpdir(), 'azurite-'));
      const args = [
        '--silent',
        '--disableTelemetry',
        '--skipApiVersionCheck',
        '--blobPort', String(storagePorts.blob),
        '--queuePort', String(storagePorts.queue),
        '--tablePort', String(storagePorts.table),
      ];
      args.push(...(options.azuriteLocation ? ['--location', options.azuriteLocation] : ['--inMemoryPersistence']));
      const azurite = spawnNode(nodeBin('azurite/dist/src/azurite.js'), args, 'azurite', options.log, tempLocation);
      started.push(azurite);
      await Promise.all([
        waitForPort(storagePorts.blob, azurite, 'Azurite blob'),
        waitForPort(storagePorts.queue, azurite, 'Azurite queue'),
        waitForPort(storagePorts.table, azurite, 'Azurite table'),
      ]);
    }

    const cosmosUp = options.reuseRunning && (await isListening(cosmosPort));
    if (options.only === 'storage') {
      options.log?.('the Cosmos DB server not wanted; not started');
    } else if (cosmosUp) {
      options.log?.(`a Cosmos endpoint already answers on ${cosmosPort}; using it`);
    } else {
      const cosmos = spawnNode(
        nodeBin('@vercel/cosmosdb-server/lib/cli.js'),
        ['--port', String(cosmosPort), '--host', '127.0.0.1'],
        'cosmos',
        options.log,
      );
      started.push(cosmos);
      await waitForPort(cosmosPort, cosmos, 'Cosmos DB server');
    }
  } catch (error) {
    await Promise.all(started.map(stopChild));
    throw error;
  }

  return {
    storageConnectionString: storageConnectionString(storagePorts),
    cosmosEndpoint: `https://127.0.0.1:${cosmosPort}`,
    cosmosKey: COSMOS_EMULATOR_KEY,
    async stop() {
      await Promise.all(started.map(stopChild));
      if (tempLocation) rmSync(tempLocation, { recursive: true, force: true });
    },
  };
}
