/**
 * The compiled app on the local host in a child process of its own process group, as
 * test/e2e/recovery.test.ts runs it: started with the app's settings in its environment, its
 * output in a log file the test can read (what the app logged), killed with SIGKILL to the whole
 * group (a crash: no shutdown hook runs), and gone with the test process whatever killed that.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { apiFetch } from './openapi-conformance';

const APP_ROOT = path.join(__dirname, '../..');
/** The local host's CLI as `npm test` builds it (npm run build runs before jest). */
const HOST_CLI = path.join(APP_ROOT, 'scripts/local-host/dist/cli.js');
/** Makes the host exit when this test process is gone, whatever killed it. */
const EXIT_WITH_PARENT = path.join(__dirname, 'exit-with-parent.js');

export interface HostChild {
  child: ChildProcess;
  url: string;
  logFile: string;
  /** Resolves with the exit code (null after a signal) once the process is gone. */
  exited: Promise<number | null>;
  /** Everything the host and the app wrote to stdout and stderr so far. */
  log(): string;
  /** SIGKILL to the host's whole process group; resolves once it is gone. */
  kill(): Promise<void>;
}

const live = new Set<HostChild>();
const killGroup = (host: HostChild) => {
  try {
    process.kill(-host.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
};
process.once('exit', () => {
  for (const host of live) killGroup(host);
});

/** Starts the host on `port` with `env`; does not wait for it (see `answering`). */
export function spawnHost(env: Record<string, string>, port: number, logFile: string): HostChild {
  if (!existsSync(HOST_CLI)) throw new Error(`${HOST_CLI} is missing: npm run build first (npm test does)`);
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--require', EXIT_WITH_PARENT, HOST_CLI, '--port', String(port), '--app', APP_ROOT], {
    cwd: APP_ROOT,
    env: { ...process.env, ...env, EXIT_WITH_PID: String(process.pid) },
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const host: HostChild = {
    child,
    url: `http://127.0.0.1:${port}`,
    logFile,
    exited,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    kill: async () => {
      killGroup(host);
      await exited;
    },
  };
  live.add(host);
  void exited.then(() => live.delete(host));
  return host;
}

/** Starts the host and resolves once it answers HTTP; throws with its log when it exits first. */
export async function startHost(env: Record<string, string>, port: number, logFile: string): Promise<HostChild> {
  const host = spawnHost(env, port, logFile);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (host.child.exitCode !== null || host.child.signalCode !== null) {
      throw new Error(`the host exited (${host.child.exitCode ?? host.child.signalCode}) before answering:\n${host.log().slice(-4000)}`);
    }
    try {
      const response = await apiFetch(`${host.url}/admin/functions`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return host;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the host did not answer within 60 s:\n${host.log().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Kills every host started here that is still running (afterAll, before the emulators stop). */
export async function killAllHosts(): Promise<void> {
  await Promise.all([...live].map((host) => host.kill()));
}
