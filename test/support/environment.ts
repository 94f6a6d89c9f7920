/**
 * Real emulators for integration tests: Azurite and the Cosmos DB server on free ports, with
 * fresh databases and queues per environment so tests do not see each other's data.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AppConfig, readConfig } from '../../shared/core/config/settings';
import { createServices, ServiceOverrides, Services } from '../../functions/composition-root';
import { provisionStorage } from '../../functions/composition-root';
import { EmulatorOptions, RunningEmulators, startEmulators } from '../../scripts/emulators';
import { PassKind, runSyncPass } from '../../shared/core/use-cases/sync-pass';

export type Env = Record<string, string>;

/** Every async feature on (their prerequisites included): edits and addresses are queued. */
export const ALL_FEATURES: Env = {
  Features__PerformanceImprovementsForCustomerOrders: 'true',
  Features__EnhancedAsyncCustomerCreation: 'true',
  Features__AsyncCustomerAddressCreation: 'true',
  Features__AsyncCustomerEditing: 'true',
};

/** The sample settings (FABRIKAM async, CONTOSO real time), pointed at the given emulators. */
export function sampleEnv(emulators: RunningEmulators, overrides: Env = {}): Env {
  const sample = JSON.parse(readFileSync(path.join(__dirname, '../../local.settings.sample.json'), 'utf8')).Values as Env;
  const id = randomUUID().slice(0, 8);
  return {
    ...sample,
    AzureWebJobsStorage: emulators.storageConnectionString,
    CosmosDb__endpoint: emulators.cosmosEndpoint,
    CosmosDb__key: emulators.cosmosKey,
    CosmosDb__hqDatabase: `hq-${id}`,
    CosmosDb__channelDatabase: `channel-${id}`,
    AsyncQueue__name: `ops-${id}`,
    ...overrides,
  };
}

export interface TestApp {
  env: Env;
  config: AppConfig;
  services: Services;
}

export async function createTestApp(emulators: RunningEmulators, overrides: Env = {}, serviceOverrides: ServiceOverrides = {}): Promise<TestApp> {
  const env = sampleEnv(emulators, overrides);
  const config = readConfig(env);
  await provisionStorage(config);
  return { env, config, services: createServices(config, serviceOverrides) };
}

export async function withEmulators(): Promise<RunningEmulators> {
  return startEmulators();
}

/**
 * Emulators for the calling test file (or describe block): started before its first test, stopped
 * after its last. The returned object reads the running emulators, so it can be passed around
 * before they start. `only` starts just Azurite or just the Cosmos DB server.
 */
export function useEmulators(options: Pick<EmulatorOptions, 'only'> = {}): RunningEmulators {
  let running: RunningEmulators | undefined;
  beforeAll(async () => {
    running = await startEmulators(options);
  }, 60_000);
  afterAll(async () => {
    await running?.stop();
  });
  const started = () => {
    if (!running) throw new Error('the emulators start in beforeAll: use them inside hooks and tests');
    return running;
  };
  return {
    get storageConnectionString() {
      return started().storageConnectionString;
    },
    get cosmosEndpoint() {
      return started().cosmosEndpoint;
    },
    get cosmosKey() {
      return started().cosmosKey;
    },
    stop: () => started().stop(),
  };
}

/** A storefront sign-up body with a unique identity. */
export function signUpBody(n: number | string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    externalIdentity: { provider: 'b2c', id: `user-${n}-${randomUUID().slice(0, 6)}` },
    firstName: `First${n}`,
    lastName: `Last${n}`,
    email: `user${n}@example.com`,
    ...extra,
  };
}

/** The core's sync pass with the use cases called directly; a failed step is retried at once. */
/** One sync pass, full by default (as a scheduled run), or streaming (as a continuous loop between full passes). */
export async function runSync(
  services: Services,
  kind: PassKind = 'full',
): Promise<{ uploaded: number; duplicates: number; completed: number; failed: number }> {
  const run = await runSyncPass(
    services,
    { trigger: 'test', settings: services.config.sync, kind },
    { instanceId: `test-${randomUUID()}`, sleep: async () => {} },
  );
  return { uploaded: run.uploaded, duplicates: run.duplicates, completed: run.completed, failed: run.failed };
}
