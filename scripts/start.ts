/**
 * `npm start`: emulators, storage provisioning, then the app, on http://localhost:7071.
 * Runs `func start` when Azure Functions Core Tools is on PATH, else the local host (the
 * @async-customer/local-host package in scripts/local-host). Ctrl-C stops what this script started
 * and nothing else.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { startEmulators } from './emulators';
import { functionKeysFromEnv, loadLocalSettings, startLocalHost } from '@async-customer/local-host';
import { readConfig } from '../shared/config/settings';
import { provisionStorage } from '../shared/storage/provision';

const root = path.resolve(__dirname, '..', '..');
const log = (line: string) => console.log(line);

function onPath(command: string): boolean {
  return spawnSync(process.platform === 'win32' ? 'where' : 'which', [command], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
  const settings = path.join(root, 'local.settings.json');
  if (!existsSync(settings)) {
    copyFileSync(path.join(root, 'local.settings.sample.json'), settings);
    log('Created local.settings.json from local.settings.sample.json');
  }
  loadLocalSettings(root, process.env);

  const emulators = await startEmulators({
    storagePorts: { blob: 10000, queue: 10001, table: 10002 },
    cosmosPort: 8081,
    azuriteLocation: path.join(root, '.azurite'),
    reuseRunning: true,
    log,
  });
  const cleanups: (() => Promise<void>)[] = [() => emulators.stop()];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => console.error(e));
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  try {
    await provisionStorage(readConfig());
    log('Storage provisioned (databases, containers, queues)');
    const port = Number(process.env.PORT ?? 7071);
    if (onPath('func')) {
      log('Azure Functions Core Tools found: running func start');
      const func: ChildProcess = spawn('func', ['start', '--port', String(port)], { cwd: root, stdio: 'inherit' });
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            if (func.exitCode !== null) return resolve();
            func.once('exit', () => resolve());
            func.kill('SIGINT');
          }),
      );
      func.once('exit', (code) => void stop(code ?? 0));
    } else {
      log('Azure Functions Core Tools not on PATH: serving the app with the local host (scripts/local-host)');
      // Keys are enforced only when LocalHost__masterKey is set (off by default, as with Core Tools).
      const host = await startLocalHost({ appRoot: root, port, keys: functionKeysFromEnv(process.env) });
      cleanups.push(() => host.stop());
    }
  } catch (error) {
    console.error(error);
    await stop(1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
