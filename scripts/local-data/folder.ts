/**
 * The local data folder: where `npm start` keeps both emulators' data (`.local-data/` in the
 * working tree, ignored by git), and the record of which processes use it. Tests and the benchmark
 * never use it: their emulators run in memory (scripts/emulators.ts without `dataDir`).
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Moves the folder (tests point it at a temporary one). Relative paths are from the app root. */
export const LOCAL_DATA_ENV = 'LOCAL_DATA_DIR';
export const DEFAULT_LOCAL_DATA = '.local-data';

export interface LocalDataLayout {
  dir: string;
  /** Azurite's `--location`: its LokiJS databases and extent files. */
  azurite: string;
  /** The Cosmos DB server's snapshot and journal (cosmos-files.ts). */
  cosmos: string;
  /** Written by `npm start` while it runs; left behind by a hard kill (running.ts). */
  running: string;
}

export function localDataDir(appRoot: string, env: Record<string, string | undefined> = process.env): string {
  return path.resolve(appRoot, env[LOCAL_DATA_ENV] || DEFAULT_LOCAL_DATA);
}

export function localDataLayout(dir: string): LocalDataLayout {
  return { dir, azurite: path.join(dir, 'azurite'), cosmos: path.join(dir, 'cosmos'), running: path.join(dir, 'running.json') };
}

/** A word in the command line of the persistent Cosmos server (cosmos-server.ts). */
export const COSMOS_SERVER_MARKER = 'cosmos-server';

/** One process `npm start` records: its id and a word its command line must contain to be it. */
export interface RecordedProcess {
  pid: number;
  marker: string;
}

export interface RunningRecord {
  startedAt: string;
  start: RecordedProcess;
  azurite?: RecordedProcess & { ports: { blob: number; queue: number; table: number } };
  cosmos?: RecordedProcess & { port: number };
}

export function readRunning(layout: LocalDataLayout): RunningRecord | undefined {
  if (!existsSync(layout.running)) return undefined;
  try {
    return JSON.parse(readFileSync(layout.running, 'utf8')) as RunningRecord;
  } catch {
    return undefined;
  }
}

export function writeRunning(layout: LocalDataLayout, record: RunningRecord): void {
  writeFileSync(layout.running, `${JSON.stringify(record, null, 2)}\n`);
}

export function removeRunning(layout: LocalDataLayout): void {
  rmSync(layout.running, { force: true });
}

/**
 * Whether the process still runs. Where /proc exists, its command line must also contain the
 * marker, so a process id reused by something else after a hard kill is not taken for ours.
 */
export function isAlive(process_: RecordedProcess): boolean {
  try {
    process.kill(process_.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const cmdline = `/proc/${process_.pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    return readFileSync(cmdline, 'utf8').includes(process_.marker);
  } catch {
    return false;
  }
}

/** The recorded processes that still run, each with its name for a message. */
function alive(record: RunningRecord, which: ('start' | 'azurite' | 'cosmos')[]): [string, RecordedProcess][] {
  const names = { start: 'npm start', azurite: 'Azurite', cosmos: 'Cosmos DB server' };
  return which.flatMap((key) => {
    const recorded = record[key];
    return recorded && isAlive(recorded) ? [[names[key], recorded] as [string, RecordedProcess]] : [];
  });
}

const named = ([name, p]: [string, RecordedProcess]) => `${name} (pid ${p.pid})`;

/** The recorded processes that still run, named for a message. */
export function liveProcesses(record: RunningRecord | undefined): string[] {
  return record ? alive(record, ['start', 'azurite', 'cosmos']).map(named) : [];
}

/**
 * The emulators a killed `npm start` left running (its own process gone, theirs alive: a kill of
 * that one process, not of its group), stopped as Ctrl-C stops them: SIGINT, so each saves its
 * data first; SIGKILL after `graceMs`. Answers what it stopped, named for a message.
 */
export async function stopLeftBehind(record: RunningRecord | undefined, graceMs = 15_000): Promise<string[]> {
  if (!record || isAlive(record.start)) return [];
  const left = alive(record, ['azurite', 'cosmos']);
  for (const [, p] of left) process.kill(p.pid, 'SIGINT');
  const deadline = Date.now() + graceMs;
  while (left.some(([, p]) => isAlive(p)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const [, p] of left) if (isAlive(p)) process.kill(p.pid, 'SIGKILL');
  return left.map(named);
}

/** What to do about processes still using the folder: Ctrl-C an npm start; kill what a killed one left behind. */
export function stopAdvice(live: string[]): string {
  if (live.some((p) => p.startsWith('npm start'))) return 'Stop that npm start first (Ctrl-C in its terminal).';
  const pids = live.map((p) => /pid (\d+)/.exec(p)![1]);
  return `They were left running by an npm start that was killed: stop them first (kill ${pids.join(' ')}).`;
}

export interface FolderStats {
  files: number;
  bytes: number;
}

export function folderStats(dir: string): FolderStats {
  const stats: FolderStats = { files: 0, bytes: 0 };
  if (!existsSync(dir)) return stats;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = folderStats(full);
      stats.files += inner.files;
      stats.bytes += inner.bytes;
    } else if (entry.isFile()) {
      stats.files++;
      stats.bytes += statSync(full).size;
    }
  }
  return stats;
}

export function describeStats({ files, bytes }: FolderStats): string {
  const size = bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${files} file${files === 1 ? '' : 's'}, ${size}`;
}
