/**
 * The files in which the local Cosmos DB server keeps its databases, containers and documents
 * (`.local-data/cosmos/`), and how to read them back. Pure file handling: nothing here knows the
 * server's classes (cosmos-server.ts hooks those), so `npm run reset` can count what it removes.
 *
 * Two kinds of file:
 * - `snapshot.json`: everything, serialized in one synchronous step (a consistent point in time),
 *   written to a temporary file and renamed over the old one, so it is always whole. It names the
 *   journal generation that continues it.
 * - `journal-<generation>.ndjson`: one line per change since that snapshot, appended before the
 *   server answers the request that made it. A killed process loses nothing it acknowledged (the
 *   lines are in the operating system's page cache); the journal is flushed to disk every second,
 *   so even a crash of the machine loses at most about a second, and always a tail: what is read
 *   back is the store as it was at one moment.
 *
 * Reading: the snapshot, then every journal of its generation or later, in order. A line that does
 * not parse can only be the tail of an interrupted write: reading stops there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A stored resource as the server keeps it: its body plus `_rid`, `_etag`, `_self`, `_ts`. */
export type Resource = Record<string, unknown> & { _rid: string; id: string };

export interface CollectionState {
  data: Resource;
  /** The server's counter for new document resource ids in this container. */
  ridCount: number;
  /** By `_rid`. */
  documents: Map<string, Resource>;
}

export interface DatabaseState {
  data: Resource;
  ridCount: number;
  collections: Map<string, CollectionState>;
}

export interface StoreState {
  ridCount: number;
  databases: Map<string, DatabaseState>;
}

/** One journal line. Parents are named by `_rid`, which the server never reuses. */
export type JournalEntry =
  | { k: 'db'; op: 'set'; n: number; d: Resource }
  | { k: 'db'; op: 'del'; rid: string }
  | { k: 'coll'; db: string; op: 'set'; n: number; d: Resource }
  | { k: 'coll'; db: string; op: 'del'; rid: string }
  | { k: 'doc'; db: string; coll: string; op: 'set'; n: number; d: Resource }
  | { k: 'doc'; db: string; coll: string; op: 'del'; rid: string };

export const SNAPSHOT_FORMAT = 'cosmosdb-server-local-data/1';

interface SnapshotFile {
  format: string;
  savedAt: string;
  /** The journal generation that continues this snapshot. */
  journal: number;
  ridCount: number;
  databases: { data: Resource; ridCount: number; collections: { data: Resource; ridCount: number; documents: Resource[] }[] }[];
}

export const snapshotPath = (dir: string) => path.join(dir, 'snapshot.json');
export const journalPath = (dir: string, generation: number) => path.join(dir, `journal-${String(generation).padStart(6, '0')}.ndjson`);

export function journalGenerations(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => /^journal-(\d+)\.ndjson$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

export const emptyState = (): StoreState => ({ ridCount: 0, databases: new Map() });

/** The whole store as one JSON text: built and serialized synchronously, so it is one point in time. */
export function serializeSnapshot(state: StoreState, journal: number, savedAt = new Date()): string {
  const file: SnapshotFile = {
    format: SNAPSHOT_FORMAT,
    savedAt: savedAt.toISOString(),
    journal,
    ridCount: state.ridCount,
    databases: [...state.databases.values()].map((db) => ({
      data: db.data,
      ridCount: db.ridCount,
      collections: [...db.collections.values()].map((coll) => ({ data: coll.data, ridCount: coll.ridCount, documents: [...coll.documents.values()] })),
    })),
  };
  return JSON.stringify(file);
}

export function applyEntry(state: StoreState, entry: JournalEntry): void {
  if (entry.k === 'db') {
    if (entry.op === 'del') state.databases.delete(entry.rid);
    else {
      // As the server does: setting a database makes a new one, with no containers.
      state.databases.set(entry.d._rid, { data: entry.d, ridCount: 0, collections: new Map() });
      state.ridCount = Math.max(state.ridCount, entry.n);
    }
    return;
  }
  const db = state.databases.get(entry.db);
  if (!db) return;
  if (entry.k === 'coll') {
    if (entry.op === 'del') db.collections.delete(entry.rid);
    else {
      db.collections.set(entry.d._rid, { data: entry.d, ridCount: 0, documents: new Map() });
      db.ridCount = Math.max(db.ridCount, entry.n);
    }
    return;
  }
  const coll = db.collections.get(entry.coll);
  if (!coll) return;
  if (entry.op === 'del') coll.documents.delete(entry.rid);
  else {
    coll.documents.set(entry.d._rid, entry.d);
    coll.ridCount = Math.max(coll.ridCount, entry.n);
  }
}

export interface ReadResult {
  state: StoreState;
  /** When the snapshot read was saved; undefined without one. */
  snapshotSavedAt?: string;
  /** The generation the snapshot continues with (0 without a snapshot). */
  generation: number;
  /** The highest journal generation found. */
  lastGeneration: number;
  journalEntries: number;
  /** Lines after an interrupted write, not applied. */
  ignoredLines: number;
}

/** Reads the store back: the snapshot, then the journals that continue it, in order. */
export function readStore(dir: string): ReadResult {
  const state = emptyState();
  let generation = 0;
  let snapshotSavedAt: string | undefined;
  if (existsSync(snapshotPath(dir))) {
    const file = JSON.parse(readFileSync(snapshotPath(dir), 'utf8')) as SnapshotFile;
    if (file.format !== SNAPSHOT_FORMAT) throw new Error(`${snapshotPath(dir)} is not a snapshot of this format (${SNAPSHOT_FORMAT})`);
    generation = file.journal;
    snapshotSavedAt = file.savedAt;
    state.ridCount = file.ridCount;
    for (const db of file.databases) {
      const collections = new Map<string, CollectionState>();
      for (const coll of db.collections) {
        collections.set(coll.data._rid, { data: coll.data, ridCount: coll.ridCount, documents: new Map(coll.documents.map((d) => [d._rid, d])) });
      }
      state.databases.set(db.data._rid, { data: db.data, ridCount: db.ridCount, collections });
    }
  }
  const generations = journalGenerations(dir).filter((g) => g >= generation);
  let journalEntries = 0;
  let ignoredLines = 0;
  outer: for (const g of generations) {
    const lines = readFileSync(journalPath(dir, g), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]) continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(lines[i]) as JournalEntry;
      } catch {
        // An interrupted write: what follows it (if anything) cannot be trusted to be in order.
        ignoredLines = lines.slice(i).filter(Boolean).length;
        break outer;
      }
      applyEntry(state, entry);
      journalEntries++;
    }
  }
  return { state, snapshotSavedAt, generation, lastGeneration: generations.at(-1) ?? generation, journalEntries, ignoredLines };
}

export interface StoreCounts {
  databases: number;
  containers: number;
  documents: number;
}

export function countStore(state: StoreState): StoreCounts {
  const counts: StoreCounts = { databases: state.databases.size, containers: 0, documents: 0 };
  for (const db of state.databases.values()) {
    counts.containers += db.collections.size;
    for (const coll of db.collections.values()) counts.documents += coll.documents.size;
  }
  return counts;
}

export function describeCounts(counts: StoreCounts): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(counts.databases, 'database')}, ${plural(counts.containers, 'container')}, ${plural(counts.documents, 'document')}`;
}
