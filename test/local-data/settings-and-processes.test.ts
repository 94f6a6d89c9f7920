/** Which emulators `npm start` runs, from the app's own settings, and which recorded processes still use the folder. */
import { storageConnectionString } from '../../scripts/emulators';
import { DEFAULT_STORAGE_PORTS, localCosmosPort, localStoragePorts } from '../../scripts/local-data/endpoints';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive, liveProcesses, localDataDir, stopAdvice, stopLeftBehind } from '../../scripts/local-data/folder';

test('Azurite runs for development storage and for loopback endpoints, on their ports; not for a real account', () => {
  expect(localStoragePorts('UseDevelopmentStorage=true')).toEqual(DEFAULT_STORAGE_PORTS);
  expect(localStoragePorts(storageConnectionString({ blob: 1, queue: 2, table: 3 }))).toEqual({ blob: 1, queue: 2, table: 3 });
  expect(localStoragePorts('DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=a2V5;EndpointSuffix=core.windows.net')).toBeUndefined();
  expect(
    localStoragePorts('BlobEndpoint=https://prod.blob.core.windows.net;QueueEndpoint=http://127.0.0.1:5/x;TableEndpoint=http://127.0.0.1:6/x'),
  ).toBeUndefined();
  expect(localStoragePorts(undefined)).toBeUndefined();
});

test('the Cosmos server runs for a loopback endpoint, on its port; not for the cloud', () => {
  expect(localCosmosPort('https://127.0.0.1:8081')).toBe(8081);
  expect(localCosmosPort('https://localhost:8081/')).toBe(8081);
  expect(localCosmosPort('https://my-account.documents.azure.com:443/')).toBeUndefined();
  expect(localCosmosPort('not a url')).toBeUndefined();
});

test('the local data folder is .local-data in the app root unless LOCAL_DATA_DIR moves it', () => {
  expect(localDataDir('/app', {})).toBe('/app/.local-data');
  expect(localDataDir('/app', { LOCAL_DATA_DIR: '/tmp/x' })).toBe('/tmp/x');
  expect(localDataDir('/app', { LOCAL_DATA_DIR: 'data' })).toBe('/app/data');
});

test('processes recorded in running.json count as running only while alive and still themselves', () => {
  const self = { pid: process.pid, marker: 'node' };
  const reused = { pid: process.pid, marker: 'not-this-process' };
  const gone = { pid: 2 ** 22 + 7, marker: 'node' };
  const record = (start: typeof self, cosmos = gone) => ({ startedAt: '', start, cosmos: { ...cosmos, port: 1 } });
  expect(liveProcesses(record(self))).toEqual([`npm start (pid ${process.pid})`]);
  expect(liveProcesses(record(gone))).toEqual([]);
  if (require('node:fs').existsSync('/proc/self/cmdline')) expect(liveProcesses(record(reused))).toEqual([]);
  expect(stopAdvice(liveProcesses(record(self)))).toMatch(/Ctrl-C/);
  expect(stopAdvice(liveProcesses(record(gone, self)))).toBe(`They were left running by an npm start that was killed: stop them first (kill ${process.pid}).`);
});

test('npm start stops, as Ctrl-C would, the emulators a killed npm start left running; never those of a live one', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'left-behind-'));
  const saved = path.join(dir, 'saved');
  // A stand-in emulator: saves on SIGINT, as Azurite and the Cosmos server do; its command line carries the marker.
  const child = spawn(
    process.execPath,
    [
      '-e',
      `process.on('SIGINT', () => { require('node:fs').writeFileSync(${JSON.stringify(saved)}, 'yes'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);`,
      'azurite',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await new Promise((resolve) => child.stdout.once('data', resolve));
  const azurite = { pid: child.pid!, marker: 'azurite', ports: { blob: 1, queue: 2, table: 3 } };
  const live = { startedAt: '', start: { pid: process.pid, marker: 'node' }, azurite };
  const killed = { ...live, start: { pid: 2 ** 22 + 7, marker: 'start' } };
  try {
    expect(await stopLeftBehind(live)).toEqual([]);
    expect(isAlive(azurite)).toBe(true);
    expect(await stopLeftBehind(killed)).toEqual([`Azurite (pid ${child.pid})`]);
    expect(isAlive(azurite)).toBe(false);
    expect(existsSync(saved) && readFileSync(saved, 'utf8')).toBe('yes');
    expect(liveProcesses(killed)).toEqual([]);
  } finally {
    child.kill('SIGKILL');
  }
});
