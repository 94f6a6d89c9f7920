/**
 * Function keys, checked the way the Functions host checks them in Azure. Core Tools leaves every
 * auth level open locally, and so does this host unless it is given keys.
 *
 * A request presents a key in the `x-functions-key` header or the `code` query parameter (the
 * header wins). `anonymous` routes need none; `function` routes take one of the function's own
 * keys, a host key or the master key; `admin` routes take the master key only. The host's admin
 * API (`/admin/...`) takes the master key, and the durable management API
 * (`/runtime/webhooks/durabletask/...`) the `durabletask_extension` system key or the master key.
 * A missing or wrong key is answered 401 with an empty body, as in Azure.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface FunctionKeys {
  /** The master key (`_master`): opens every route, `admin` ones included, and the host's APIs. */
  master: string;
  /** Host keys by name, e.g. `{ default: '...' }`: open every `function`-level route. */
  host?: Record<string, string>;
  /** Keys of single functions: function name -> key name -> value. */
  functions?: Record<string, Record<string, string>>;
  /**
   * System keys by name. `durabletask_extension` opens the durable management API, and the URLs
   * the durable client hands out carry it as `code=`, as in Azure. Default: a random one.
   */
  system?: Record<string, string>;
}

export const DURABLE_SYSTEM_KEY = 'durabletask_extension';

/** The key a request presents: the `x-functions-key` header, else the `code` query parameter. */
export function presentedKey(headers: Record<string, string | string[] | undefined>, url: URL): string | undefined {
  const header = headers['x-functions-key'];
  const value = Array.isArray(header) ? header[0] : header;
  return value || url.searchParams.get('code') || undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Compares in constant time (over digests, so the lengths leak nothing either). */
function sameKey(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function checkedValues(where: string, keys: Record<string, string> | undefined): string[] {
  return Object.entries(keys ?? {}).map(([name, value]) => {
    if (typeof value !== 'string' || value === '') throw new Error(`Function keys: ${where}.${name} must be a non-empty string`);
    return value;
  });
}

export class KeyCheck {
  private readonly master: string;
  private readonly host: string[];
  private readonly functions = new Map<string, string[]>();
  private readonly system: Map<string, string>;

  constructor(keys: FunctionKeys) {
    if (typeof keys.master !== 'string' || keys.master === '') throw new Error('Function keys: master must be a non-empty string');
    this.master = keys.master;
    this.host = checkedValues('host', keys.host);
    for (const [name, own] of Object.entries(keys.functions ?? {})) this.functions.set(name.toLowerCase(), checkedValues(`functions.${name}`, own));
    checkedValues('system', keys.system);
    this.system = new Map(Object.entries(keys.system ?? {}));
    if (!this.system.has(DURABLE_SYSTEM_KEY)) this.system.set(DURABLE_SYSTEM_KEY, randomBytes(32).toString('base64url'));
  }

  /** The value of a system key (e.g. `durabletask_extension`). */
  systemKey(name: string): string | undefined {
    return this.system.get(name);
  }

  /** Whether `key` may call a function with this auth level (the host's default level is `function`). */
  allowsFunction(functionName: string, authLevel: string | undefined, key: string | undefined): boolean {
    const level = (authLevel ?? 'function').toLowerCase();
    if (level === 'anonymous') return true;
    if (key === undefined) return false;
    if (sameKey(key, this.master)) return true;
    if (level === 'admin') return false;
    if (level === 'system') return [...this.system.values()].some((k) => sameKey(key, k));
    const candidates = [...this.host, ...(this.functions.get(functionName.toLowerCase()) ?? [])];
    // Every candidate is compared, so the time taken does not tell which one matched.
    return candidates.map((k) => sameKey(key, k)).includes(true);
  }

  /** The host's admin API: the master key only. */
  allowsAdmin(key: string | undefined): boolean {
    return key !== undefined && sameKey(key, this.master);
  }

  /** An extension's API (e.g. durable management): its system key or the master key. */
  allowsSystem(name: string, key: string | undefined): boolean {
    if (key === undefined) return false;
    const own = this.system.get(name);
    return sameKey(key, this.master) || (own !== undefined && sameKey(key, own));
  }
}

/**
 * Keys from the environment, for the CLI and `npm start`: `LocalHost__masterKey` turns enforcement
 * on, `LocalHost__functionKey` (optional) adds a host key named `default`. Undefined when no master
 * key is set (every level open, as with Core Tools).
 */
export function functionKeysFromEnv(env: Record<string, string | undefined>): FunctionKeys | undefined {
  const master = env.LocalHost__masterKey;
  if (!master) return undefined;
  const functionKey = env.LocalHost__functionKey;
  return { master, ...(functionKey ? { host: { default: functionKey } } : {}) };
}
