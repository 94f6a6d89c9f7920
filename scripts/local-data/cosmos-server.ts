/**
 * The Cosmos DB protocol server (`@vercel/cosmosdb-server`) with its store kept on disk, for
 * `npm start`. The package keeps databases, containers and documents in memory only; this script
 * runs it in-process (as the package's own CLI does) and, without patching it:
 *
 * - restores the store from `--data` before the server accepts a request;
 * - appends every change to a journal before the server answers the request that made it, so a
 *   killed process loses nothing it acknowledged (see cosmos-files.ts for the files);
 * - folds the journal into a fresh snapshot at start, at a clean stop (SIGINT/SIGTERM) and when the
 *   journal passes 16 MB.
 *
 * Hooks, all on the package's own classes (lib/account): the Account class is subclassed so the
 * instance the server creates is known, and `Items.prototype._set` / `Items.prototype.delete`,
 * through which every create, replace, upsert, patch, batch and delete of a database, container
 * or document passes, are wrapped to journal the change. Partition key ranges (made by the server
 * with each container) and user-defined functions (unused by the app) are not kept.
 *
 *   node dist/scripts/local-data/cosmos-server.js --port 8081 --host 127.0.0.1 --data .local-data/cosmos
 *
 * Both it and the in-memory server of the tests and the benchmark keep connections alive
 * (../cosmos-keep-alive.ts).
 */
import { closeSync, existsSync, fdatasync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import {
  countStore,
  describeCounts,
  journalGenerations,
  journalPath,
  readStore,
  type CollectionState,
  type DatabaseState,
  type JournalEntry,
  type ReadResult,
  type Resource,
  serializeSnapshot,
  snapshotPath,
  type StoreCounts,
  type StoreState,
} from './cosmos-files';
import { createKeepAliveCosmosServer } from '../cosmos-keep-alive';
import { COSMOS_SERVER_MARKER, isAlive } from './folder';

/** What the parent (scripts/emulators.ts) receives over IPC once the server listens. */
export interface CosmosServerReady {
  type: 'ready';
  port: number;
  dataDir: string;
  restored: StoreCounts;
  snapshotSavedAt?: string;
  journalEntries: number;
  ignoredLines: number;
}

const COMPACT_AT_BYTES = 16 * 1024 * 1024;

// The package's internals this script relies on (lib/account/*.js of @vercel/cosmosdb-server 1.0.x).
interface LiveItem {
  read(): Resource | undefined;
}
interface LiveItems<I extends LiveItem = LiveItem> {
  _data: Map<string, I>;
  _ridCount: number;
  _set(data: Resource): Resource;
  delete(idOrRid: string, partition: unknown): void;
  _item(keyPath: string, value: string, partition: unknown): I;
}
interface LiveCollection extends LiveItem {
  documents: LiveItems;
}
interface LiveDatabase extends LiveItem {
  collections: LiveItems<LiveCollection>;
}
interface LiveAccount {
  databases: LiveItems<LiveDatabase>;
}
type AccountClass = new (host: string, port: number) => LiveAccount;

type Location = { k: 'db' } | { k: 'coll'; db: string } | { k: 'doc'; db: string; coll: string };

function parseArgs(argv: string[]): { port: number; host: string; data: string } {
  const args = { port: 8081, host: '127.0.0.1', data: '' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') args.port = Number(argv[++i]);
    else if (argv[i] === '--host') args.host = argv[++i];
    else if (argv[i] === '--data') args.data = path.resolve(argv[++i]);
  }
  if (!args.data) throw new Error('usage: cosmos-server --data <folder> [--port 8081] [--host 127.0.0.1]');
  return args;
}

/** The journal file being appended to. */
class Journal {
  private fd: number;
  private bytes = 0;
  private dirty = false;

  constructor(
    private readonly dir: string,
    public generation: number,
  ) {
    this.fd = openSync(journalPath(dir, generation), 'a');
  }

  append(entry: JournalEntry): void {
    const line = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    for (let at = 0; at < line.length;) at += writeSync(this.fd, line, at, line.length - at);
    this.bytes += line.length;
    this.dirty = true;
  }

  get size(): number {
    return this.bytes;
  }

  /** Flushes to the disk in the background: bounds what a crash of the machine (not of this process) can lose. */
  flushSoon(): void {
    if (!this.dirty) return;
    this.dirty = false;
    fdatasync(this.fd, () => {});
  }

  /** Continues in a new, empty journal file. */
  rotate(generation: number): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.generation = generation;
    this.fd = openSync(journalPath(this.dir, generation), 'a');
    this.bytes = 0;
    this.dirty = false;
  }

  close(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

/** The live store seen as the plain state cosmos-files.ts serializes (sharing the documents, copying nothing). */
function liveState(account: LiveAccount): StoreState {
  const databases = new Map<string, DatabaseState>();
  for (const [dbRid, db] of account.databases._data) {
    const collections = new Map<string, CollectionState>();
    for (const [collRid, coll] of db.collections._data) {
      const documents = new Map<string, Resource>();
      for (const [docRid, doc] of coll.documents._data) documents.set(docRid, doc.read()!);
      collections.set(collRid, { data: coll.read()!, ridCount: coll.documents._ridCount, documents });
    }
    databases.set(dbRid, { data: db.read()!, ridCount: db.collections._ridCount, collections });
  }
  return { ridCount: account.databases._ridCount, databases };
}

class PersistentStore {
  private account: LiveAccount | undefined;
  private journal: Journal | undefined;
  private readonly locations = new WeakMap<object, Location>();
  private compactTimer: NodeJS.Timeout | undefined;

  constructor(private readonly dir: string) {}

  /** Wraps the package's classes; call before the server is created. */
  /* eslint-disable @typescript-eslint/no-this-alias, @typescript-eslint/no-require-imports, @typescript-eslint/unbound-method --
     this wraps the package's own prototype methods, which run with the package's `this` (the store is
     `self`), and loads its modules with require so the wrappers are in place before the server loads them. */
  install(restore: ReadResult): void {
    const self = this;
    const accountModule = require('@vercel/cosmosdb-server/lib/account') as { default: AccountClass };
    const items = (require('@vercel/cosmosdb-server/lib/account/items') as { default: { prototype: LiveItems } }).default.prototype;
    const Account = accountModule.default;
    accountModule.default = class extends Account {
      constructor(host: string, port: number) {
        super(host, port);
        self.restoreInto(this, restore);
      }
    };
    const set = items._set;
    const remove = items.delete;
    items._set = function (this: LiveItems, data: Resource) {
      const at = self.journal && self.locate(this);
      // Journal first: a request whose change could not be journaled fails and changes nothing.
      if (at) self.record({ ...at, op: 'set', n: this._ridCount, d: data });
      return set.call(this, data);
    };
    items.delete = function (this: LiveItems, idOrRid: string, partition: unknown) {
      const at = self.journal && self.locate(this);
      const existing = at ? this._item('/id', idOrRid, partition).read() : undefined;
      if (at && existing) self.record({ ...at, op: 'del', rid: existing._rid });
      return remove.call(this, idOrRid, partition);
    };
  }
  /* eslint-enable @typescript-eslint/no-this-alias, @typescript-eslint/no-require-imports, @typescript-eslint/unbound-method */

  /** Which container (or database list) an Items instance is, found once by walking the store. */
  private locate(items: object): Location | undefined {
    const known = this.locations.get(items);
    if (known || !this.account) return known;
    let found: Location | undefined;
    if (items === this.account.databases) found = { k: 'db' };
    for (const [db, database] of found ? [] : this.account.databases._data) {
      if (database.collections === items) found = { k: 'coll', db };
      for (const [coll, collection] of found ? [] : database.collections._data) {
        if (collection.documents === items) found = { k: 'doc', db, coll };
      }
      if (found) break;
    }
    // Items that are in no stored container (the server's placeholders for missing ones) are not kept.
    if (found) this.locations.set(items, found);
    return found;
  }

  private record(entry: JournalEntry): void {
    this.journal!.append(entry);
    if (this.journal!.size > COMPACT_AT_BYTES && !this.compactTimer) {
      this.compactTimer = setTimeout(() => {
        this.compactTimer = undefined;
        this.compact();
      }, 1000);
    }
  }

  private restoreInto(account: LiveAccount, restore: ReadResult): void {
    this.account = account;
    const { state } = restore;
    account.databases._ridCount = state.ridCount;
    for (const db of state.databases.values()) {
      account.databases._set(db.data);
      const database = account.databases._data.get(db.data._rid)!;
      database.collections._ridCount = db.ridCount;
      for (const coll of db.collections.values()) {
        database.collections._set(coll.data);
        const collection = database.collections._data.get(coll.data._rid)!;
        collection.documents._ridCount = coll.ridCount;
        for (const doc of coll.documents.values()) collection.documents._set(doc);
      }
    }
    // Continue in a journal after every one read, then fold them all into a snapshot.
    this.journal = new Journal(this.dir, restore.lastGeneration + 1);
    this.compact();
  }

  /**
   * Writes the whole store as a snapshot continued by a new journal, then removes the older
   * journals. The serialization is synchronous (one point in time, no request in between), the
   * snapshot replaces the old one by rename, and old journals go only once it is in place: a kill
   * at any step leaves files that read back to the same store.
   */
  compact(): void {
    if (!this.account || !this.journal) return;
    const generation = this.journal.generation + 1;
    const text = serializeSnapshot(liveState(this.account), generation);
    this.journal.rotate(generation);
    const file = snapshotPath(this.dir);
    const temp = `${file}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } catch {
      // Not every platform can sync a directory; the rename is still atomic.
    } finally {
      closeSync(dirFd);
    }
    for (const old of journalGenerations(this.dir)) if (old < generation) rmSync(journalPath(this.dir, old), { force: true });
  }

  flushSoon(): void {
    this.journal?.flushSoon();
  }

  stop(): void {
    if (this.compactTimer) clearTimeout(this.compactTimer);
    this.compact();
    this.journal?.close();
    this.journal = undefined;
  }

  counts(): StoreCounts {
    return this.account ? countStore(liveState(this.account)) : { databases: 0, containers: 0, documents: 0 };
  }
}

/** One server per data folder: a second one would write the same files. */
function lock(dir: string): string {
  const file = path.join(dir, 'server.pid');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8'));
    if (pid && pid !== process.pid && isAlive({ pid, marker: COSMOS_SERVER_MARKER })) {
      throw new Error(`another Cosmos DB server (pid ${pid}) keeps its data in ${dir}: stop it first`);
    }
  }
  writeFileSync(file, String(process.pid));
  return file;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.data, { recursive: true });
  const lockFile = lock(args.data);
  let restore: ReadResult;
  try {
    restore = readStore(args.data);
  } catch (error) {
    rmSync(lockFile, { force: true });
    throw new Error(`cannot read the local data in ${args.data}: ${(error as Error).message}. \`npm run reset\` wipes it.`);
  }
  const store = new PersistentStore(args.data);
  store.install(restore);

  // After install(): the server module must load the wrapped classes (it is loaded in this call).
  const server = createKeepAliveCosmosServer().listen(args.port, args.host, () => {
    const restored = countStore(restore.state);
    const from = restore.snapshotSavedAt ? `snapshot of ${restore.snapshotSavedAt}` : 'no snapshot';
    const ignored = restore.ignoredLines ? `; ${restore.ignoredLines} line(s) of an interrupted write ignored` : '';
    console.log(`listening on https://${args.host}:${args.port}; data in ${args.data}`);
    // Under npm start the parent prints the summary; run by hand, this line is it.
    if (!process.send || restore.ignoredLines) {
      console.log(`restored ${describeCounts(restored)} (${from} + ${restore.journalEntries} journal entries${ignored})`);
    }
    const ready: CosmosServerReady = {
      type: 'ready',
      port: args.port,
      dataDir: args.data,
      restored,
      snapshotSavedAt: restore.snapshotSavedAt,
      journalEntries: restore.journalEntries,
      ignoredLines: restore.ignoredLines,
    };
    process.send?.(ready);
  });
  server.on('error', (error) => {
    console.error(`cannot listen on ${args.host}:${args.port}: ${error.message}`);
    rmSync(lockFile, { force: true });
    process.exit(1);
  });
  setInterval(() => store.flushSoon(), 1000).unref();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    try {
      store.stop();
      console.log(`${signal}: saved ${describeCounts(store.counts())} to ${args.data}`);
      rmSync(lockFile, { force: true });
      process.exit(0);
    } catch (error) {
      // The journal is still there: nothing is lost, the next start reads it.
      console.error(`${signal}: could not write the snapshot (${(error as Error).message}); the journal keeps every change`);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // An IPC parent that goes away does not stop the server: `npm start` stops it with a signal.
  process.on('disconnect', () => {});
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
