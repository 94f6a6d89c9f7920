/**
 * App settings (DESIGN.md section 6), read from the environment once per process and validated.
 * A bad value is a start-up error that names the setting: a silent default would hide a
 * misconfigured store until its customers go missing.
 */
import { WEBHOOK_SECRET_BYTES, WebhookSecret } from './webhook-secret';

export interface Channel {
  id: string;
  name: string;
  functionalityProfile: string;
  /** Where completion events of this channel's customers are posted; absent: no webhook. */
  webhook?: ChannelWebhook;
}

/** `Channels__{id}__webhookUrl` and `Channels__{id}__webhookSecret`, always both. */
export interface ChannelWebhook {
  url: string;
  secret: WebhookSecret;
}

export interface FunctionalityProfile {
  id: string;
  createCustomerInAsyncMode: boolean;
  fallbackToAsyncWhenHqUnavailable: boolean;
}

export type FeatureName =
  'PerformanceImprovementsForCustomerOrders' | 'EnhancedAsyncCustomerCreation' | 'AsyncCustomerAddressCreation' | 'AsyncCustomerEditing';

export const FEATURE_NAMES: readonly FeatureName[] = [
  'PerformanceImprovementsForCustomerOrders',
  'EnhancedAsyncCustomerCreation',
  'AsyncCustomerAddressCreation',
  'AsyncCustomerEditing',
];

/** Features that must be on before a feature can take effect (the seed FAQ's prerequisite rule). */
export const FEATURE_PREREQUISITES: Readonly<Record<FeatureName, readonly FeatureName[]>> = {
  PerformanceImprovementsForCustomerOrders: [],
  EnhancedAsyncCustomerCreation: [],
  AsyncCustomerAddressCreation: [],
  AsyncCustomerEditing: ['PerformanceImprovementsForCustomerOrders', 'EnhancedAsyncCustomerCreation', 'AsyncCustomerAddressCreation'],
};

export interface FeatureState {
  name: FeatureName;
  enabled: boolean;
  effective: boolean;
  /** Why an enabled feature is not effective (missing prerequisites), or why it is off. */
  reason?: string;
  missingPrerequisites: FeatureName[];
}

/** Where a storage service lives: a connection string, or service URIs for managed identity. */
export interface StorageConnection {
  connectionString?: string;
  queueServiceUri?: string;
  tableServiceUri?: string;
  /** The name of the setting it came from, for messages. */
  setting: string;
}

export interface AppConfig {
  storage: StorageConnection;
  asyncQueue: { connection: StorageConnection; name: string; poisonName: string };
  cosmos: { endpoint: string; key?: string; hqDatabase: string; channelDatabase: string };
  channels: ReadonlyMap<string, Channel>;
  profiles: ReadonlyMap<string, FunctionalityProfile>;
  features: ReadonlyMap<FeatureName, FeatureState>;
  hq: {
    servicing: boolean;
    /** `Hq__servicing` as it is now (see hqServicingNow): servicing can be switched on a running app. */
    servicingNow: () => boolean;
    accountNumberPrefix: string;
    simulatedLatencyMs: number;
  };
  sync: {
    /** `continuous`: the loop passes while work arrives; `scheduled`: one pass per timer tick or request. */
    mode: SyncMode;
    /** The longest wait between two checks of an idle continuous loop. */
    idleDelaySeconds: number;
    schedule: string;
    batchSize: number;
    maxParallelBatches: number;
    maxAttempts: number;
    maxMessagesPerRun: number;
  };
  webhooks: {
    /** NCRONTAB of the deliverer's timer (registered only when some channel has a webhook). */
    schedule: string;
  };
}

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigurationError';
  }
}

export const SYNC_MODES = ['continuous', 'scheduled'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];

export const SYNC_DEFAULTS = {
  mode: 'continuous' as SyncMode,
  idleDelaySeconds: 10,
  schedule: '0 */5 * * * *',
  batchSize: 50,
  maxParallelBatches: 4,
  maxAttempts: 3,
  maxMessagesPerRun: 100_000,
} as const;

export const WEBHOOK_DEFAULTS = {
  /** Every 5 s: an event reaches its receiver about 2.5 s after the sync step that recorded it. */
  schedule: '*/5 * * * * *',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

const CHANNEL_ID = /^[A-Za-z0-9_]+$/;

/** Reads and validates every setting; throws one ConfigurationError listing every problem. */
export function readConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const read = new SettingReader(env, problems);

  const storage = read.storageConnection('AzureWebJobsStorage');
  const queueConnectionName = read.optionalString('AsyncQueue__connection');
  const queueConnection = queueConnectionName ? read.storageConnection(queueConnectionName) : storage;
  const queueName = read.string('AsyncQueue__name', 'async-customer-operations');
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,54}[a-z0-9]$/.test(queueName)) {
    problems.push(`AsyncQueue__name: "${queueName}" is not a valid queue name (3-56 lowercase letters, digits, single hyphens)`);
  }

  const endpoint = read.requiredString('CosmosDb__endpoint');
  if (endpoint && !/^https?:\/\/[^\s/]+/.test(endpoint)) problems.push(`CosmosDb__endpoint: "${endpoint}" is not an http(s) URL`);
  const cosmos = {
    endpoint: endpoint ?? '',
    key: read.optionalString('CosmosDb__key'),
    hqDatabase: read.string('CosmosDb__hqDatabase', 'commerce-hq'),
    channelDatabase: read.string('CosmosDb__channelDatabase', 'commerce-channel'),
  };

  const profiles = new Map<string, FunctionalityProfile>();
  for (const id of read.groupKeys('FunctionalityProfiles')) {
    profiles.set(id, {
      id,
      createCustomerInAsyncMode: read.boolean(`FunctionalityProfiles__${id}__createCustomerInAsyncMode`, false),
      fallbackToAsyncWhenHqUnavailable: read.boolean(`FunctionalityProfiles__${id}__fallbackToAsyncWhenHqUnavailable`, false),
    });
  }

  const channels = new Map<string, Channel>();
  for (const id of read.groupKeys('Channels')) {
    const profileSetting = `Channels__${id}__functionalityProfile`;
    const functionalityProfile = read.optionalString(profileSetting);
    if (!CHANNEL_ID.test(id)) {
      problems.push(`Channels__${id}: channel ids are letters, digits and "_" only`);
      continue;
    }
    if (!functionalityProfile) {
      problems.push(`${profileSetting}: missing; a channel exists only with a functionality profile`);
      continue;
    }
    if (!profiles.has(functionalityProfile)) {
      // A profile named but never configured is the real-time default, as in HQ where every
      // profile option starts at "No"; say so rather than fail, but only for well-formed names.
      if (!CHANNEL_ID.test(functionalityProfile)) {
        problems.push(`${profileSetting}: "${functionalityProfile}" is not a valid profile id`);
        continue;
      }
      profiles.set(functionalityProfile, {
        id: functionalityProfile,
        createCustomerInAsyncMode: false,
        fallbackToAsyncWhenHqUnavailable: false,
      });
    }
    const webhook = read.webhook(id);
    channels.set(id, { id, name: read.string(`Channels__${id}__name`, id), functionalityProfile, ...(webhook ? { webhook } : {}) });
  }

  const enabled = new Map<FeatureName, boolean>(FEATURE_NAMES.map((name) => [name, read.boolean(`Features__${name}`, false)]));
  const features = new Map<FeatureName, FeatureState>();
  for (const name of FEATURE_NAMES) {
    const missing = FEATURE_PREREQUISITES[name].filter((p) => !enabled.get(p));
    const on = enabled.get(name) ?? false;
    features.set(name, {
      name,
      enabled: on,
      effective: on && missing.length === 0,
      missingPrerequisites: missing,
      reason: !on ? `Features__${name} is not true` : missing.length > 0 ? `missing prerequisites: ${missing.join(', ')}` : undefined,
    });
  }

  const prefix = read.string('Hq__accountNumberPrefix', 'C');
  if (!/^[A-Z0-9]{0,10}$/.test(prefix)) problems.push(`Hq__accountNumberPrefix: "${prefix}" must be 0-10 uppercase letters or digits`);
  const hq = {
    servicing: read.boolean('Hq__servicing', false),
    servicingNow: () => hqServicingNow(hq.servicing, env),
    accountNumberPrefix: prefix,
    simulatedLatencyMs: read.integer('Hq__simulatedLatencyMs', 0, 0, 60_000),
  };

  const schedule = read.schedule('Sync__schedule', SYNC_DEFAULTS.schedule);
  const mode = read.string('Sync__mode', SYNC_DEFAULTS.mode);
  if (!SYNC_MODES.includes(mode as SyncMode)) problems.push(`Sync__mode: "${mode}" is not one of ${SYNC_MODES.join(', ')}`);
  const sync = {
    mode: mode as SyncMode,
    idleDelaySeconds: read.integer('Sync__idleDelaySeconds', SYNC_DEFAULTS.idleDelaySeconds, 1, 3600),
    schedule,
    batchSize: read.integer('Sync__batchSize', SYNC_DEFAULTS.batchSize, 1, 1000),
    maxParallelBatches: read.integer('Sync__maxParallelBatches', SYNC_DEFAULTS.maxParallelBatches, 1, 64),
    maxAttempts: read.integer('Sync__maxAttempts', SYNC_DEFAULTS.maxAttempts, 1, 100),
    maxMessagesPerRun: read.integer('Sync__maxMessagesPerRun', SYNC_DEFAULTS.maxMessagesPerRun, 1, 10_000_000),
  };

  const webhooks = { schedule: read.schedule('Webhooks__schedule', WEBHOOK_DEFAULTS.schedule) };

  if (problems.length > 0) throw new ConfigurationError(problems);
  return {
    storage,
    asyncQueue: { connection: queueConnection, name: queueName, poisonName: `${queueName}-poison` },
    cosmos,
    channels,
    profiles,
    features,
    hq,
    sync,
    webhooks,
  };
}

class SettingReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  optionalString(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  string(name: string, fallback: string): string {
    return this.optionalString(name) ?? fallback;
  }

  requiredString(name: string): string | undefined {
    const value = this.optionalString(name);
    if (value === undefined) this.problems.push(`${name}: required`);
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.optionalString(name);
    if (value === undefined) return fallback;
    if (/^true$/i.test(value)) return true;
    if (/^false$/i.test(value)) return false;
    this.problems.push(`${name}: "${value}" is not true or false`);
    return fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.optionalString(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) {
      this.problems.push(`${name}: "${value}" is not a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  /** A six-field NCRONTAB expression (seconds first), as timer triggers take it. */
  schedule(name: string, fallback: string): string {
    const value = this.string(name, fallback);
    if (value.trim().split(/\s+/).length !== 6) {
      this.problems.push(`${name}: "${value}" is not a six-field NCRONTAB expression (second minute hour day month weekday)`);
    }
    return value;
  }

  /**
   * A channel's webhook: both settings or neither. The URL must be https, except http to a
   * loopback host (development); it may not carry credentials, which /api/ops/config would show.
   * Neither value is ever part of a message: a secret must not reach a log, and a URL is checked
   * before it is known to be free of one.
   */
  webhook(channelId: string): ChannelWebhook | undefined {
    const urlSetting = `Channels__${channelId}__webhookUrl`;
    const secretSetting = `Channels__${channelId}__webhookSecret`;
    const url = this.optionalString(urlSetting);
    const secretValue = this.optionalString(secretSetting);
    if (!url && !secretValue) return undefined;
    if (!url) {
      this.problems.push(`${urlSetting}: missing; ${secretSetting} is set, and a webhook needs both`);
      return undefined;
    }
    if (!secretValue) {
      this.problems.push(`${secretSetting}: missing; ${urlSetting} is set, and a webhook needs both (a Standard Webhooks secret, "whsec_" + base64)`);
      return undefined;
    }
    const urlProblem = webhookUrlProblem(url);
    if (urlProblem) this.problems.push(`${urlSetting}: ${urlProblem}`);
    const secret = WebhookSecret.parse(secretValue);
    if (!secret) {
      this.problems.push(
        `${secretSetting}: not a Standard Webhooks secret ("whsec_" followed by the base64 of ${WEBHOOK_SECRET_BYTES.min} to ${WEBHOOK_SECRET_BYTES.max} random bytes)`,
      );
    }
    return urlProblem || !secret ? undefined : { url, secret };
  }

  /** The distinct `{id}` of every `{group}__{id}__...` setting. */
  groupKeys(group: string): string[] {
    const ids = new Set<string>();
    const prefix = `${group}__`;
    for (const key of Object.keys(this.env)) {
      if (!key.startsWith(prefix)) continue;
      const id = key.slice(prefix.length).split('__')[0];
      if (id) ids.add(id);
    }
    return [...ids].sort();
  }

  /** A Functions-style connection: the setting itself, or `{name}__queueServiceUri` etc. for identity. */
  storageConnection(name: string): StorageConnection {
    const connectionString = this.optionalString(name);
    const queueServiceUri = this.optionalString(`${name}__queueServiceUri`) ?? accountUri(this.optionalString(`${name}__accountName`), 'queue');
    const tableServiceUri = this.optionalString(`${name}__tableServiceUri`) ?? accountUri(this.optionalString(`${name}__accountName`), 'table');
    if (!connectionString && !queueServiceUri) {
      this.problems.push(`${name}: required (a connection string, or ${name}__queueServiceUri / ${name}__accountName for managed identity)`);
    }
    return { connectionString, queueServiceUri, tableServiceUri, setting: name };
  }
}

/** Hosts a webhook may be sent to over plain http: this machine, for development. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Why this webhook URL is refused, or undefined. */
export function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials (user:password@): the URL is shown on /api/ops/config';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname.toLowerCase())) return undefined;
  return 'must be an https URL (http only to a loopback host: 127.0.0.1, ::1, localhost)';
}

function accountUri(accountName: string | undefined, service: 'queue' | 'table'): string | undefined {
  return accountName ? `https://${accountName}.${service}.core.windows.net` : undefined;
}

/**
 * `Hq__servicing` as it is now: read on every real-time call and every sync pass, so servicing
 * can be switched on a running app. An absent or unparsable value keeps the validated start-up one.
 */
export function hqServicingNow(startup: boolean, env: Env = process.env): boolean {
  const value = env.Hq__servicing?.trim();
  if (!value) return startup;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  return startup;
}

let cached: AppConfig | undefined;

/** The process-wide configuration, read on first use. */
export function appConfig(): AppConfig {
  cached ??= readConfig();
  return cached;
}

export function featureEffective(config: Pick<AppConfig, 'features'>, name: FeatureName): boolean {
  return config.features.get(name)?.effective ?? false;
}
