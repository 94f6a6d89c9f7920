/**
 * App settings and host.json, read the way Core Tools reads them: `local.settings.json` `Values`
 * become environment variables unless the environment already has them, and `%Name%` in binding
 * properties is replaced by the setting's value.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

type Env = Record<string, string | undefined>;

export interface HostJson {
  routePrefix: string;
  hubName: string;
  /** `extensions.durableTask.overridableExistingInstanceStates`: may a start replace an active instance? */
  overridableExistingInstanceStates: OverridableStates;
}

/** The Durable extension's OverridableStates (AnyState = 0, NonRunningStates = 1). */
export type OverridableStates = 'AnyState' | 'NonRunningStates';

/** Copies `Values` of local.settings.json into `env`; returns the names it set. */
export function loadLocalSettings(appRoot: string, env: Env): string[] {
  const file = path.join(appRoot, 'local.settings.json');
  if (!existsSync(file)) return [];
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
  const set: string[] = [];
  for (const [name, value] of Object.entries(parsed.Values ?? {})) {
    if (env[name] !== undefined || value === undefined || value === null) continue;
    env[name] = String(value);
    set.push(name);
  }
  return set;
}

export function readHostJson(appRoot: string): HostJson {
  const file = path.join(appRoot, 'host.json');
  const json = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const extensions = (json.extensions ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const routePrefix = extensions.http?.routePrefix;
  const hubName = extensions.durableTask?.hubName;
  const overridable = extensions.durableTask?.overridableExistingInstanceStates ?? 'NonRunningStates';
  const states = (['AnyState', 'NonRunningStates'] as const).find((s, i) => overridable === i || String(overridable).toLowerCase() === s.toLowerCase());
  if (!states)
    throw new Error(
      `host.json: extensions.durableTask.overridableExistingInstanceStates must be AnyState or NonRunningStates, not ${JSON.stringify(overridable)}`,
    );
  return {
    routePrefix: typeof routePrefix === 'string' ? routePrefix.replace(/^\/+|\/+$/g, '') : 'api',
    // The extension's default hub name for Functions v4 apps run locally.
    hubName: typeof hubName === 'string' && hubName ? hubName : 'TestHubName',
    // Unset: the extension's default since 2.x, NonRunningStates (older versions replaced).
    overridableExistingInstanceStates: states,
  };
}

/** Replaces `%Name%` with the setting's value, as the host does for binding expressions. */
export function resolveSettingExpression(value: string, env: Env): string {
  return value.replace(/%([^%]+)%/g, (_match, name: string) => {
    const resolved = env[name];
    if (resolved === undefined) throw new Error(`Setting "${name}" (used as %${name}%) is not defined`);
    return resolved;
  });
}

/** `UseDevelopmentStorage=true` spelled out for the SDKs, with Azurite on its default ports. */
export function expandStorageConnectionString(value: string): string {
  if (value.trim().toLowerCase() !== 'usedevelopmentstorage=true') return value;
  return (
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
    'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
    'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;' +
    'TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;'
  );
}
