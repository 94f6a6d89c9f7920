/**
 * The compiled app served by the local host in a child process of its own (what `npm start`
 * runs), so the bench can SIGKILL it and start it again on the same emulators, and so the
 * storage requests it makes can be told apart from the bench's own.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../emulators';

export interface HostProcess {
  url: string;
  pid: number;
  /** The host's last log lines (for error messages). */
  tail(): string;
  /** SIGKILL: no shutdown hook, no flush; what a crash or an OOM kill does. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export function appRoot(): string {
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'host.json'))) return dir;
  }
  throw new Error(`host.json not found above ${__dirname}`);
}

/** The local host package's command (its package.json `bin`, built by the package's prepare/build script). */
function cliScript(): string {
  const manifest = require.resolve('@async-customer/local-host/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  return path.join(path.dirname(manifest), bin['local-functions-host']);
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts the local host command (`scripts/local-host/dist/cli.js`) with `env` (the app's settings) and waits until it serves. */
export async function startHostProcess(env: Record<string, string>, options: { port?: number; timeoutMs?: number } = {}): Promise<HostProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [cliScript(), '--port', String(port), '--app', appRoot()], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (data: Buffer) => {
    for (const line of data.toString().split('\n')) if (line.trim()) lines.push(line);
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const tail = () => lines.slice(-30).join('\n');
  const timeoutMs = options.timeoutMs ?? 60_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local host did not start within ${timeoutMs} ms:\n${tail()}`)), timeoutMs);
    const check = (data: Buffer) => {
      if (/Local host listening/.test(data.toString())) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`local host exited (${code ?? signal}) before serving:\n${tail()}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    pid: child.pid!,
    tail,
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      await exited(child);
      clearTimeout(timer);
    },
  };
}
