/**
 * One fresh app per scenario: its own Cosmos databases and queues on the shared emulators, built
 * by the app's own composition root, with request counting on its Cosmos client and its queue.
 * Fresh stores keep one scenario's leftovers from slowing the next (the Cosmos server evaluates
 * a query over every document of its container); `dispose` deletes them again to keep the
 * emulators lean.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunningEmulators } from '../emulators';
import { AppConfig, readConfig } from '../../shared/core/config/settings';
import { createServices, Services } from '../../functions/composition-root';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { queueNames } from '../../shared/adapters/queue/provision';
import { provisionStorage } from '../../functions/composition-root';
import type { SynchronizerOptions } from '../../shared/core/use-cases/synchronize';
import { createQueueServiceClient } from '../../shared/adapters/queue/client';
import { RequestCounter } from './counting';

export interface BenchApp {
  config: AppConfig;
  services: Services;
  counter: RequestCounter;
  dispose(): Promise<void>;
}

function sampleSettings(): Record<string, string> {
  // dist/scripts/bench -> repo root, or scripts/bench under ts-node: walk up to the sample.
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'local.settings.sample.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { Values: Record<string, string> }).Values;
  }
  throw new Error('local.settings.sample.json not found above ' + __dirname);
}

/** Sync__* from the bench's own environment, so a run can try other tunings without code changes. */
function syncTuning(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('Sync__') && e[1] !== undefined));
}

export function benchEnv(emulators: RunningEmulators, overrides: Record<string, string> = {}): Record<string, string> {
  const id = randomUUID().slice(0, 8);
  return {
    ...sampleSettings(),
    AzureWebJobsStorage: emulators.storageConnectionString,
    CosmosDb__endpoint: emulators.cosmosEndpoint,
    CosmosDb__key: emulators.cosmosKey,
    CosmosDb__hqDatabase: `bench-hq-${id}`,
    CosmosDb__channelDatabase: `bench-channel-${id}`,
    AsyncQueue__name: `bench-${id}`,
    ...syncTuning(process.env),
    ...overrides,
  };
}

export async function createBenchApp(emulators: RunningEmulators, options: { hqLatencyMs?: number; env?: Record<string, string> } = {}): Promise<BenchApp> {
  const config = readConfig(benchEnv(emulators, options.env));
  await provisionStorage(config);
  const counter = new RequestCounter();
  const cosmosClient = createCosmosClient(config.cosmos, { plugins: [counter.cosmosPlugin()] });
  const latency = options.hqLatencyMs ?? 0;
  const services = createServices(config, { cosmosClient, hq: { latencyMs: () => latency } });
  counter.wrapQueue(services.queue);
  // A/B knob for the synchronizer's per-batch customer concurrency, which has no app setting
  // (default 8): BENCH_SYNC_CONCURRENCY=32 tries another value without a code change.
  const syncConcurrency = Number(process.env.BENCH_SYNC_CONCURRENCY);
  if (Number.isInteger(syncConcurrency) && syncConcurrency > 0) {
    (services.synchronizer as unknown as { options: SynchronizerOptions }).options.concurrency = syncConcurrency;
  }
  return {
    config,
    services,
    counter,
    dispose: async () => {
      services.dispose();
      await dropStores(config);
    },
  };
}

/** Deletes a scenario's databases and queues; the emulators keep everything in memory otherwise. */
export async function dropStores(config: Pick<AppConfig, 'cosmos' | 'asyncQueue'>): Promise<void> {
  const client = createCosmosClient(config.cosmos);
  try {
    for (const id of new Set([config.cosmos.hqDatabase, config.cosmos.channelDatabase])) {
      await client
        .database(id)
        .delete()
        .catch(() => undefined);
    }
  } finally {
    client.dispose();
  }
  const queues = createQueueServiceClient(config.asyncQueue.connection);
  for (const name of queueNames(config.asyncQueue.name)) await queues.getQueueClient(name).deleteIfExists();
}
