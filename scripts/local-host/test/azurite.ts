/**
 * Azurite's table service for the tests that keep durable histories in table storage: one child
 * process on a free port, in memory, stopped by the test that started it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningAzurite {
  storageConnectionString: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
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

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startAzuriteTables(): Promise<RunningAzurite> {
  const port = await freePort();
  // In-memory Azurite still writes a debug/extent folder: keep it out of the working tree.
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'azurite-table-'));
  const script = require.resolve('azurite/dist/src/table/main.js');
  const args = ['--silent', '--disableTelemetry', '--skipApiVersionCheck', '--inMemoryPersistence', '--tablePort', String(port)];
  const child = spawn(process.execPath, [script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (data: Buffer) => (output = (output + data.toString()).slice(-2_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    rmSync(cwd, { recursive: true, force: true });
  };
  // Generous: on a loaded machine Azurite takes a while to start.
  const deadline = Date.now() + 90_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const exited = child.exitCode !== null ? ` (it exited with code ${child.exitCode})` : '';
      await stop();
      throw new Error(`Azurite's table service did not listen on ${port}${exited}: ${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    storageConnectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};` + `TableEndpoint=http://127.0.0.1:${port}/${ACCOUNT};`,
    stop,
  };
}
