/**
 * The composition root: builds every service from the configuration. Functions get their
 * dependencies from here; tests build their own with other clients.
 */
import type { CosmosClient } from '@azure/cosmos';
import type { QueueServiceClient } from '@azure/storage-queue';
import { ChannelStore } from './channel/channel-store';
import { CustomerService } from './channel/customer-service';
import { OperationQueue } from './channel/operation-queue';
import { AppConfig, appConfig } from './config/settings';
import { HqService } from './hq/hq-service';
import { SyncStatusService } from './ops/sync-status';
import { accountNumberFormat, NumberSequence } from './hq/number-sequence';
import { containers, createCosmosClient } from './storage/cosmos';
import { createQueueServiceClient } from './storage/queue';
import { Distributor } from './sync/distribute';
import { Reconciler } from './sync/reconcile';
import { RunStore } from './sync/run-store';
import { StagingStore } from './sync/staging-store';
import { Synchronizer } from './sync/synchronize';
import { Uploader } from './sync/upload';

export interface Services {
  config: AppConfig;
  customers: CustomerService;
  hq: HqService;
  channel: ChannelStore;
  queue: OperationQueue;
  staging: StagingStore;
  uploader: Uploader;
  synchronizer: Synchronizer;
  runs: RunStore;
  /** The operators' view: the sync-status list, Save, Synchronize, metrics. */
  syncStatus: SyncStatusService;
  dispose(): void;
}

export interface ServiceOverrides {
  cosmosClient?: CosmosClient;
  queueServiceClient?: QueueServiceClient;
  /** Lets a test or benchmark switch HQ servicing or latency without a restart. */
  hq?: { servicing?: () => boolean; latencyMs?: () => number };
  log?: (message: string) => void;
  /** Reconciliation's grace period (tests use 0; see sync/reconcile.ts). */
  reconcileGraceMs?: number;
}

export function createServices(config: AppConfig, overrides: ServiceOverrides = {}): Services {
  const cosmosClient = overrides.cosmosClient ?? createCosmosClient(config.cosmos);
  const queueService = overrides.queueServiceClient ?? createQueueServiceClient(config.asyncQueue.connection);
  const log = overrides.log ?? (() => {});
  const c = containers(cosmosClient, config.cosmos);

  const queue = new OperationQueue(queueService.getQueueClient(config.asyncQueue.name), queueService.getQueueClient(config.asyncQueue.poisonName));
  const hq = new HqService(c.hqCustomers, new NumberSequence(c.hqNumberSequences, 'customerAccount', accountNumberFormat(config.hq.accountNumberPrefix)), {
    servicing: overrides.hq?.servicing ?? (() => config.hq.servicing),
    latencyMs: overrides.hq?.latencyMs ?? (() => config.hq.simulatedLatencyMs),
  });
  const channel = new ChannelStore(c.channelCustomers);
  const staging = new StagingStore(c.hqOperations);
  const synchronizer = new Synchronizer(staging, hq, new Distributor(channel, log), { maxAttempts: config.sync.maxAttempts, log });
  const runs = new RunStore(c.hqSyncRuns);
  return {
    config,
    customers: new CustomerService({ config, store: channel, queue, hq, log }),
    hq,
    channel,
    queue,
    staging,
    uploader: new Uploader(queue, staging, log, new Reconciler(channel, staging, { graceMs: overrides.reconcileGraceMs, log })),
    synchronizer,
    runs,
    syncStatus: new SyncStatusService({
      config,
      stagingContainer: c.hqOperations,
      channelContainer: c.channelCustomers,
      staging,
      channel,
      hq,
      synchronizer,
      queue,
      runs,
      log,
    }),
    dispose: () => cosmosClient.dispose(),
  };
}

let shared: Services | undefined;

/** The process-wide services, built on first use from the app settings. */
export function services(): Services {
  shared ??= createServices(appConfig(), { log: (m) => console.log(m) });
  return shared;
}
