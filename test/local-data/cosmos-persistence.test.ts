/**
 * The Cosmos DB server as `npm start` runs it (scripts/local-data/cosmos-server.ts): its store
 * restored after a clean stop and after a SIGKILL right after the last acknowledged write, the
 * files it reads back, and the in-memory default that tests and the benchmark keep.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { CosmosClient } from '@azure/cosmos';
import { COSMOS_EMULATOR_KEY, RunningEmulators, startEmulators } from '../../scripts/emulators';
import { countStore, journalPath, readStore, serializeSnapshot, snapshotPath, type StoreState } from '../../scripts/local-data/cosmos-files';
import { folderStats } from '../../scripts/local-data/folder';

jest.setTimeout(120_000);

const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'local-data-test-'));
  temps.push(dir);
  return dir;
}

async function startCosmos(dataDir: string, log?: (line: string) => void): Promise<RunningEmulators> {
  return startEmulators({ dataDir, skip: { storage: true }, log });
}

function clientFor(emulators: RunningEmulators): CosmosClient {
  return new CosmosClient({
    endpoint: emulators.cosmosEndpoint,
    key: COSMOS_EMULATOR_KEY,
    agent: new https.Agent({ rejectUnauthorized: false }),
    connectionPolicy: { enableEndpointDiscovery: false },
  });
}

function sigkill(emulators: RunningEmulators): Promise<void> {
  const pid = emulators.started!.cosmos!.pid;
  process.kill(pid, 'SIGKILL');
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      try {
        process.kill(pid, 0);
      } catch {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
}

async function writeSome(client: CosmosClient) {
  const { database } = await client.databases.createIfNotExists({ id: 'persist-db' });
  const { container } = await database.containers.createIfNotExists({ id: 'items', partitionKey: { paths: ['/pk'] } });
  const { container: other } = await database.containers.createIfNotExists({ id: 'other', partitionKey: { paths: ['/id'] } });
  for (let i = 0; i < 30; i++) await container.items.create({ id: `doc-${i}`, pk: `p${i % 3}`, n: i });
  await container.item('doc-1', 'p1').replace({ id: 'doc-1', pk: 'p1', n: 100 });
  await container.items.upsert({ id: 'doc-2', pk: 'p2', n: 200 });
  await container.item('doc-3', 'p0').patch([{ op: 'set', path: '/patched', value: true }]);
  await container.item('doc-4', 'p1').delete();
  await other.items.create({ id: 'sequence', next: 101 });
  const { etag } = await other.item('sequence', 'sequence').read();
  return { container, other, etag };
}

test('a SIGKILL right after the last acknowledged write loses nothing, and new writes continue without clashing', async () => {
  const dir = tempDir();
  let emulators = await startCosmos(dir);
  let client = clientFor(emulators);
  const written = await writeSome(client);
  await written.other.item('sequence', 'sequence').replace({ id: 'sequence', next: 201 }, { accessCondition: { type: 'IfMatch', condition: written.etag } });
  client.dispose();
  await sigkill(emulators);

  emulators = await startCosmos(dir);
  try {
    expect(emulators.started!.cosmos!.restored).toMatchObject({ restored: { databases: 1, containers: 2, documents: 30 }, ignoredLines: 0 });
    expect(emulators.started!.cosmos!.restored!.journalEntries).toBeGreaterThan(30);
    client = clientFor(emulators);
    const container = client.database('persist-db').container('items');
    const other = client.database('persist-db').container('other');
    expect((await container.item('doc-1', 'p1').read()).resource).toMatchObject({ n: 100 });
    expect((await container.item('doc-2', 'p2').read()).resource).toMatchObject({ n: 200 });
    expect((await container.item('doc-3', 'p0').read()).resource).toMatchObject({ n: 3, patched: true });
    expect((await container.item('doc-4', 'p1').read()).statusCode).toBe(404);
    const sequence = await other.item('sequence', 'sequence').read();
    expect(sequence.resource).toMatchObject({ next: 201 });
    // ETags survive, so an optimistic write prepared before the restart still applies (or is refused) correctly.
    await other.item('sequence', 'sequence').replace({ id: 'sequence', next: 301 }, { accessCondition: { type: 'IfMatch', condition: sequence.etag } });
    await expect(
      other.item('sequence', 'sequence').replace({ id: 'sequence', next: 999 }, { accessCondition: { type: 'IfMatch', condition: sequence.etag } }),
    ).rejects.toMatchObject({ code: 412 });
    // Resource ids continue after the restored ones: new documents never overwrite old ones.
    for (let i = 30; i < 40; i++) await container.items.create({ id: `doc-${i}`, pk: `p${i % 3}`, n: i });
    const { resources } = await container.items.query<number>('SELECT VALUE COUNT(1) FROM c').fetchAll();
    expect(resources[0]).toBe(39);
    expect((await container.items.query('SELECT * FROM c WHERE c.n = 5').fetchAll()).resources).toHaveLength(1);
    client.dispose();
  } finally {
    await emulators.stop();
  }

  // A clean stop folds the journal into the snapshot.
  const files = readdirSync(dir + '/cosmos').sort();
  expect(files.filter((f) => f.startsWith('journal-'))).toHaveLength(1);
  expect(
    statSync(
      path.join(
        dir,
        'cosmos',
        files.find((f) => f.startsWith('journal-'))!,
      ),
    ).size,
  ).toBe(0);
  expect(files).not.toContain('server.pid');
  const read = readStore(path.join(dir, 'cosmos'));
  expect(countStore(read.state)).toEqual({ databases: 1, containers: 2, documents: 40 });
  expect(read.journalEntries).toBe(0);
});

test('a second server on the same folder is refused', async () => {
  const dir = tempDir();
  const first = await startCosmos(dir);
  try {
    const lines: string[] = [];
    await expect(startCosmos(dir, (line) => lines.push(line))).rejects.toThrow(/exited with code 1/);
    expect(lines.join('\n')).toContain(`another Cosmos DB server (pid ${first.started!.cosmos!.pid}) keeps its data in`);
  } finally {
    await first.stop();
  }
});

test('reading back: snapshot, then every journal that continues it, in order; stale journals and a torn last line are left out', () => {
  const dir = tempDir();
  const doc = (rid: string, id: string, extra = {}) => ({ _rid: rid, id, ...extra });
  const state: StoreState = {
    ridCount: 1,
    databases: new Map([
      [
        'db1',
        {
          data: doc('db1', 'hq'),
          ridCount: 1,
          collections: new Map([
            [
              'c1',
              {
                data: doc('c1', 'customers'),
                ridCount: 2,
                documents: new Map([
                  ['d1', doc('d1', 'a')],
                  ['d2', doc('d2', 'b')],
                ]),
              },
            ],
          ]),
        },
      ],
    ]),
  };
  writeFileSync(snapshotPath(dir), serializeSnapshot(state, 2));
  const line = (entry: object) => `${JSON.stringify(entry)}\n`;
  // Generation 1 is older than the snapshot (a kill before it was removed): not applied.
  writeFileSync(journalPath(dir, 1), line({ k: 'doc', db: 'db1', coll: 'c1', op: 'del', rid: 'd1' }));
  writeFileSync(journalPath(dir, 2), line({ k: 'doc', db: 'db1', coll: 'c1', op: 'set', n: 3, d: doc('d3', 'c') }));
  // A kill between a snapshot's journal switch and its rename leaves two journals after it: both apply.
  writeFileSync(
    journalPath(dir, 3),
    line({ k: 'doc', db: 'db1', coll: 'c1', op: 'del', rid: 'd2' }) + line({ k: 'doc', db: 'db1', coll: 'c1', op: 'set', n: 4, d: doc('d4', 'd') }),
  );
  appendFileSync(journalPath(dir, 3), '{"k":"doc","db":"db1","co');

  const read = readStore(dir);
  const documents = [...read.state.databases.get('db1')!.collections.get('c1')!.documents.keys()].sort();
  expect(documents).toEqual(['d1', 'd3', 'd4']);
  expect(read.state.databases.get('db1')!.collections.get('c1')!.ridCount).toBe(4);
  expect(read).toMatchObject({ generation: 2, lastGeneration: 3, journalEntries: 3, ignoredLines: 1 });
});

test('tests and the benchmark keep their emulators in memory: nothing is written to a local data folder', async () => {
  const repoData = path.join(__dirname, '../../.local-data');
  const before = existsSync(repoData) ? { ...folderStats(repoData), mtime: statSync(repoData).mtimeMs } : undefined;
  const emulators = await startEmulators();
  try {
    expect(emulators.started!.cosmos!.restored).toBeUndefined();
    const client = clientFor(emulators);
    await client.databases.createIfNotExists({ id: 'in-memory' });
    client.dispose();
    // The in-memory Cosmos server (the package's server with keep-alive), not the persistent one.
    const cmdline = `/proc/${emulators.started!.cosmos!.pid}/cmdline`;
    if (existsSync(cmdline)) {
      const command = require('node:fs').readFileSync(cmdline, 'utf8');
      expect(command).toContain('cosmos-keep-alive.js');
      expect(command).not.toContain('local-data');
    }
  } finally {
    await emulators.stop();
  }
  const after = existsSync(repoData) ? { ...folderStats(repoData), mtime: statSync(repoData).mtimeMs } : undefined;
  expect(after).toEqual(before);
});

test('the persistent server can be run by hand and says what it restored', async () => {
  const dir = tempDir();
  const script = path.join(__dirname, '../../dist/scripts/local-data/cosmos-server.js');
  const child = spawn(process.execPath, [script, '--port', '0', '--data', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (/restored/.test(output)) {
        clearInterval(poll);
        resolve();
      }
    }, 50);
  });
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(output).toMatch(/restored 0 databases, 0 containers, 0 documents/);
  expect(output).toMatch(/SIGINT: saved 0 databases/);
  expect(existsSync(snapshotPath(dir))).toBe(true);
});
