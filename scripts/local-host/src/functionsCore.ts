/**
 * Captures an app's registrations the way the Functions worker does: by being the
 * `@azure/functions-core` module that `@azure/functions` requires lazily. Without it the library
 * switches to "test mode" and registers nothing.
 *
 * The app is loaded with Node's own CommonJS loader even when this code runs inside a module
 * sandbox (a test runner's module registry, for instance), whose `require('module')` is a subclass
 * that loads through the sandbox; the real loader is then its prototype. That keeps the app's
 * modules outside any sandbox, like a real worker process.
 */
import NodeModule from 'node:module';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { Registry } from './registry';
import type { CoreFunctionMetadata, FunctionCallback, HookCallback, HookName, LogLevel, ProgrammingModel, RpcBinding } from './types';

interface LoaderStatics {
  _resolveFilename(request: string, parent: unknown, isMain?: boolean, options?: unknown): string;
  _cache: Record<string, { exports: unknown } | undefined>;
  createRequire(filename: string): (id: string) => unknown;
  new (id: string): { id: string; filename: string; exports: unknown; loaded: boolean };
}

const CORE_MODULE = '@azure/functions-core';
const STAND_IN_PATH = path.resolve('/__local-host__/@azure/functions-core/index.js');
const INSTALLED = Symbol.for('local-host.functions-core.installed');

function nodeLoader(): LoaderStatics {
  const candidate = NodeModule as unknown as LoaderStatics;
  const parent = Object.getPrototypeOf(candidate) as Partial<LoaderStatics> | null;
  return parent && typeof parent._resolveFilename === 'function' ? (parent as LoaderStatics) : candidate;
}

/** `process` of the real Node realm: a module sandbox may give its modules a copy of `process.env`. */
export function nodeProcess(): NodeJS.Process {
  return nodeLoader().createRequire(__filename)('process') as NodeJS.Process;
}

/**
 * The registry that receives registrations: the app being loaded, or the last one loaded. It lives
 * on the loader itself because a module sandbox may evaluate this file several times in one
 * process, while the stand-in module is installed once per process.
 */
const ACTIVE = Symbol.for('local-host.functions-core.active-registry');

function slot(): Record<symbol, Registry | undefined> {
  return nodeLoader() as unknown as Record<symbol, Registry | undefined>;
}

function requireRegistry(): Registry {
  const registry = slot()[ACTIVE];
  if (!registry) throw new Error('@azure/functions-core used outside the local host');
  return registry;
}

const standIn = {
  registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback) {
    requireRegistry().register(metadata, callback);
    return { dispose() {} };
  },
  setProgrammingModel(model: ProgrammingModel) {
    requireRegistry().programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return slot()[ACTIVE]?.programmingModel;
  },
  registerHook(hookName: HookName, callback: HookCallback) {
    return requireRegistry().addHook(hookName, callback);
  },
  log(level: LogLevel, _category: string, message: string) {
    slot()[ACTIVE]?.systemLog(level, message);
  },
};

function install(): void {
  const loader = nodeLoader();
  const holder = loader as unknown as Record<symbol, boolean>;
  if (holder[INSTALLED]) return;
  holder[INSTALLED] = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below as original.call(this, ...)
  const original = loader._resolveFilename;
  loader._resolveFilename = function (request, parent, isMain, options) {
    if (request === CORE_MODULE) return STAND_IN_PATH;
    return original.call(this, request, parent, isMain, options);
  };
  const module = new loader(STAND_IN_PATH);
  module.filename = STAND_IN_PATH;
  module.exports = standIn;
  module.loaded = true;
  loader._cache[STAND_IN_PATH] = module;
}

/** The compiled entry module named by `main` in the app's package.json. */
export function appEntry(appRoot: string): string {
  const pkg = JSON.parse(readFileSync(path.join(appRoot, 'package.json'), 'utf8')) as { main?: string };
  if (!pkg.main) throw new Error(`${appRoot}/package.json has no "main": the host loads the app from it`);
  return path.resolve(appRoot, pkg.main);
}

/** This package's own code (src/ or dist/): never evicted, even when it sits inside the app's folder. */
const OWN_CODE = realpathSync(__dirname) + path.sep;

/**
 * Loads the app afresh and returns what it registered. `app` is the app's folder (its
 * package.json `main` is loaded) or the entry module itself. Modules of the app (everything under
 * its folder but node_modules) and of the two libraries that register (`@azure/functions` caches
 * the core API, durable-functions holds its own `app`) are evicted first, so a second load in the
 * same process sees every registration.
 */
export function loadApp(app: string, systemLog: (level: LogLevel, message: string) => void): Registry {
  install();
  const loader = nodeLoader();
  const isFolder = statSync(app).isDirectory();
  const entry = isFolder ? appEntry(app) : path.resolve(app);
  const root = realpathSync(isFolder ? app : packageFolder(entry)) + path.sep;
  const libraries = [`${path.sep}@azure${path.sep}functions${path.sep}`, `${path.sep}durable-functions${path.sep}`];
  for (const key of Object.keys(loader._cache)) {
    const inApp = key.startsWith(root) && !key.slice(root.length).includes(`node_modules${path.sep}`) && !key.startsWith(OWN_CODE);
    if (inApp || libraries.some((l) => key.includes(`node_modules${l}`))) delete loader._cache[key];
  }
  const registry = new Registry(systemLog);
  slot()[ACTIVE] = registry;
  loader.createRequire(entry)(entry);
  if (registry.functions.size > 0 && !registry.programmingModel) {
    throw new Error('The app registered functions but no programming model; is @azure/functions 4.x installed?');
  }
  return registry;
}

/** The nearest folder above a module that holds a package.json (else the module's own folder). */
function packageFolder(file: string): string {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.dirname(file);
  }
}

/** A function as the Functions host indexes it: its metadata and the callback the host invokes. */
export interface AppRegistration {
  name: string;
  bindings: Record<string, RpcBinding>;
  /** The binding whose type ends in "Trigger". */
  trigger: RpcBinding;
  callback: FunctionCallback;
  retryOptions?: unknown;
}

export interface LoadAppOptions {
  /**
   * Settings the app sees while it loads, over the current environment (`undefined` removes one).
   * The environment is restored once the app has loaded.
   */
  env?: Record<string, string | undefined>;
  /** Where the library's own log lines go (level, message). Default: nowhere. */
  log?: (level: LogLevel, message: string) => void;
}

/**
 * Captures an app's registrations through the `@azure/functions-core` stand-in, as the Functions
 * host indexes them, without serving anything: for tests of what an app registers, or to call a
 * registered callback (an orchestrator, say) directly. `app` is the app's folder or its entry
 * module (compiled JavaScript). An error thrown while the app loads (a bad setting, say) is thrown.
 */
export function loadAppRegistrations(app: string, options: LoadAppOptions = {}): AppRegistration[] {
  const env = nodeProcess().env;
  const saved = { ...env };
  // The caller's environment is the app's (they differ when the caller runs in a module sandbox).
  if (process.env !== env) for (const [k, v] of Object.entries(process.env)) env[k] = v;
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  try {
    const registry = loadApp(app, options.log ?? (() => undefined));
    return [...registry.functions.values()].map((r) => ({
      name: r.name,
      bindings: r.metadata.bindings,
      trigger: r.trigger,
      callback: r.callback,
      ...(r.metadata.retryOptions === undefined ? {} : { retryOptions: r.metadata.retryOptions }),
    }));
  } finally {
    for (const key of Object.keys(env)) if (!(key in saved)) delete env[key];
    Object.assign(env, saved);
  }
}
