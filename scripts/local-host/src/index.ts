/**
 * A local stand-in for the Azure Functions host (Core Tools' `func start`) for apps on the
 * Node.js v4 programming model: HTTP and timer triggers, durable orchestrations and activities,
 * and the durable client API. See README.md for what it does and does not do.
 */
import path from 'node:path';
import { loadApp, nodeProcess } from './functionsCore';
import { guarded, HttpServer, SideServer, type SideHandler } from './httpServer';
import { Invoker, timestamp, type LogSink } from './invoker';
import type { Registration, RegistrationSummary } from './registry';
import { expandStorageConnectionString, loadLocalSettings, readHostJson } from './settings';
import { TimerScheduler } from './timerScheduler';
import { BASE_PATH, durableApiHandler, durableClientData } from './durable/clientApi';
import { DurableEngine } from './durable/engine';
import { MemoryHistoryStore, TableHistoryStore, type HistoryStore } from './durable/store';
import { DURABLE_SYSTEM_KEY, KeyCheck, type FunctionKeys } from './keys';
import type { RpcParameterBinding } from './types';

export interface LocalHostOptions {
  /** Folder with the app's package.json (whose `main` is the compiled entry), host.json, local.settings.json. */
  appRoot: string;
  /** Port to listen on; 0 picks a free one. Default 7071. */
  port?: number;
  /** Address to listen on. Default 0.0.0.0. */
  listenHost?: string;
  /** Where log lines go. Default console.log. */
  log?: LogSink;
  /**
   * Storage for durable histories. Default: the `AzureWebJobsStorage` setting (Azure Table
   * storage, e.g. Azurite); in memory when that setting is absent.
   */
  storageConnectionString?: string;
  /** Overrides the history store altogether (tests). */
  historyStore?: HistoryStore;
  /** Activities running at once across all instances. Default 16. */
  maxConcurrentActivities?: number;
  /** Leave out the Executing/Executed lines of orchestrator episodes. Default false. */
  quietOrchestrators?: boolean;
  /**
   * Function keys to enforce, as the Functions host does in Azure (see keys.ts). Default: none, and
   * every auth level is open, as with Core Tools.
   */
  keys?: FunctionKeys;
}

export interface LocalHost {
  /** e.g. http://127.0.0.1:7071 */
  url: string;
  port: number;
  functions: RegistrationSummary[];
  durable: DurableEngine;
  hubName: string;
  stop(): Promise<void>;
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log = options.log ?? ((line: string) => console.log(line));
  const keys = options.keys ? new KeyCheck(options.keys) : undefined;
  const appRoot = path.resolve(options.appRoot);
  const env = nodeProcess().env;
  // In a module sandbox (a test runner's, say) process.env may be a copy of the real one: what the
  // caller set there is "the environment" and wins; the app, loaded in the real realm, reads the real one.
  if (process.env !== env) for (const [k, v] of Object.entries(process.env)) env[k] = v;
  loadLocalSettings(appRoot, env);
  if (process.env !== env) for (const [k, v] of Object.entries(env)) if (process.env[k] === undefined) process.env[k] = v;
  const hostJson = readHostJson(appRoot);

  const registry = loadApp(appRoot, (level, message) => {
    if (level === 'warning' || level === 'error' || level === 'critical') log(`${timestamp()} ${message}`);
  });
  const invoker = new Invoker(registry, log, (name) => options.quietOrchestrators === true && registry.get(name)?.trigger.type === 'orchestrationTrigger');

  const usesDurable = [...registry.functions.values()].some((r) =>
    Object.values(r.metadata.bindings).some((b) => /^(orchestrationTrigger|activityTrigger|durableClient|orchestrationClient)$/.test(b.type)),
  );
  const connection = options.storageConnectionString ?? env.AzureWebJobsStorage;
  const store =
    options.historyStore ?? (connection ? new TableHistoryStore(expandStorageConnectionString(connection), hostJson.hubName) : new MemoryHistoryStore());
  const durable = new DurableEngine({
    registry,
    invoker,
    store,
    log,
    maxConcurrentActivities: options.maxConcurrentActivities,
    overridableExistingInstanceStates: hostJson.overridableExistingInstanceStates,
  });

  const durableCode = keys?.systemKey(DURABLE_SYSTEM_KEY);
  let origin = '';
  // With keys, the durable management API on the public port takes the extension's system key, and
  // the app's own durable client calls a loopback endpoint without keys, as the extension's is.
  let rpcOrigin: string | undefined;
  const durableApi = durableApiHandler(durable, hostJson.hubName, { code: durableCode });
  const rpcServer = keys ? new SideServer([durableApiHandler(durable, hostJson.hubName, { code: durableCode, linkOrigin: () => origin })], log) : undefined;
  const adminApi: SideHandler = async (method, url) =>
    method === 'GET' && url.pathname === '/admin/functions'
      ? { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(registry.summaries()) }
      : undefined;
  const extraInputs = (registration: Registration): RpcParameterBinding[] =>
    Object.entries(registration.metadata.bindings)
      .filter(([, b]) => b.direction === 'in' && !/trigger$/i.test(b.type))
      .flatMap(([name, b]) =>
        b.type === 'durableClient' || b.type === 'orchestrationClient'
          ? [{ name, data: { string: JSON.stringify(durableClientData({ origin, rpcOrigin, hubName: hostJson.hubName, code: durableCode })) } }]
          : [],
      );
  for (const r of registry.functions.values()) {
    for (const b of Object.values(r.metadata.bindings)) {
      const supported = /^(httpTrigger|timerTrigger|orchestrationTrigger|activityTrigger|durableClient|orchestrationClient|http)$/.test(b.type);
      if (!supported) log(`Warning: ${r.name}: binding type '${b.type}' is not supported by the local host; it gets no data`);
    }
  }

  const server = new HttpServer({
    registry,
    invoker,
    routePrefix: hostJson.routePrefix,
    port: options.port ?? 7071,
    host: options.listenHost,
    log,
    extraInputs,
    sideHandlers: keys
      ? [guarded(BASE_PATH, (key) => keys.allowsSystem(DURABLE_SYSTEM_KEY, key), durableApi), guarded('/admin/', (key) => keys.allowsAdmin(key), adminApi)]
      : [durableApi, adminApi],
    authorize: keys
      ? (registration, key) =>
          keys.allowsFunction(registration.name, typeof registration.trigger.authLevel === 'string' ? registration.trigger.authLevel : undefined, key)
      : undefined,
  });
  const timers = new TimerScheduler({ registry, invoker, env, log, extraInputs });
  const port = await server.listen();
  origin = `http://127.0.0.1:${port}`;
  try {
    if (rpcServer) rpcOrigin = await rpcServer.listen();
    if (usesDurable) await durable.start();
    await invoker.runAppHooks('appStart', appRoot);
  } catch (error) {
    await server.close();
    await rpcServer?.close();
    throw error;
  }

  log('');
  log('Functions:');
  log('');
  const routes = new Map(server.routes().map((r) => [r.name, r]));
  for (const summary of registry.summaries()) {
    const route = routes.get(summary.name);
    log(
      route
        ? `\t${summary.name}: [${(route.methods ?? ['ALL']).join(',')}] http://localhost:${port}/${route.route}`
        : `\t${summary.name}: ${summary.triggerType}`,
    );
  }
  log('');
  timers.start();
  const access = keys ? 'function keys enforced' : 'every auth level is open locally';
  log(`Local host listening on http://localhost:${port} (durable task hub '${hostJson.hubName}'; ${access})`);

  let stopping: Promise<void> | undefined;
  return {
    url: origin,
    port,
    functions: registry.summaries(),
    durable,
    hubName: hostJson.hubName,
    stop() {
      stopping ??= (async () => {
        await timers.stop();
        await durable.stop();
        await server.close();
        await rpcServer?.close();
        await invoker.runAppHooks('appTerminate', appRoot).catch(() => undefined);
      })();
      return stopping;
    },
  };
}

export type { RegistrationSummary } from './registry';
export type { HistoryStore, InstanceRecord, RuntimeStatus } from './durable/store';
export { MemoryHistoryStore, TableHistoryStore } from './durable/store';
export { DurableEngine } from './durable/engine';
export { loadLocalSettings } from './settings';
export { functionKeysFromEnv, type FunctionKeys } from './keys';
export { loadAppRegistrations, nodeProcess, type AppRegistration, type LoadAppOptions } from './functionsCore';
export type { RpcBinding, FunctionCallback, LogLevel } from './types';
