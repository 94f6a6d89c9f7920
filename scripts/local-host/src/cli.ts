#!/usr/bin/env node
/**
 * `local-functions-host [--port 7071] [--app <folder>]` (this package's bin, `dist/cli.js`): serves
 * the app in the folder (default: the current directory) until SIGINT/SIGTERM. Function keys are
 * enforced when `LocalHost__masterKey` is set (environment or local.settings.json `Values`), with
 * `LocalHost__functionKey` as the `default` host key.
 */
import path from 'node:path';
import { functionKeysFromEnv, loadLocalSettings, startLocalHost } from './index';

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const port = Number(argument('port') ?? process.env.PORT ?? 7071);
  const appRoot = path.resolve(argument('app') ?? process.cwd());
  loadLocalSettings(appRoot, process.env);
  const host = await startLocalHost({ appRoot, port, keys: functionKeysFromEnv(process.env) });
  const shutdown = () => {
    host.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
