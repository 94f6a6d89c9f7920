/**
 * The composition root: the one place that picks adapters and wires them into the core's use
 * cases, from the validated configuration. `createServices` wires the Cosmos and Storage adapters
 * (production, local, integration tests); `composeServices` wires any set of ports, so the fast
 * and model tests build the same graph on the in-memory adapters.
 */
import type { CosmosClient, PluginConfig } from '@azure/cosmos';
import type { QueueServiceClient } from '@azure/storage-queue';
import { CosmosChannelCustomers } from '../shared/adapters/cosmos/channel-customers';
import { containers, createCosmosClient } from '../shared/adapters/cosmos/client';
import { CosmosCustomerSearch } from '../shared/adapters/cosmos/customer-search';
import { CosmosHqCustomers } from '../shared/adapters/cosmos/hq-customers';
import { CosmosNumberSequences } from '../shared/adapters/cosmos/number-sequences';
import { provisionCosmos } from '../shared/adapters/cosmos/provision';
import { CosmosRunLog } from '../shared/adapters/cosmos/run-log';
import { CosmosStaging } from '../shared/adapters/cosmos/staging';
import { CosmosSyncStatusReadModel } from '../shared/adapters/cosmos/sync-status-read-model';
import { CosmosWebhookOutbox } from '../shared/adapters/cosmos/webhook-outbox';
import { HttpWebhookSender } from '../shared/adapters/http/webhook-sender';
import { createQueueServiceClient } from '../shared/adapters/queue/client';
import { StorageOperationQueue } from '../shared/adapters/queue/operation-queue';
import { provisionQueues } from '../shared/adapters/queue/provision';
import { AppConfig, appConfig } from '../shared/core/config/settings';
import type { Ports } from '../shared/core/ports';
import type { ChannelCustomers } from '../shared/core/ports/channel-customers';
import { systemClock } from '../shared/core/ports/clock';
import type { OperationQueue } from '../shared/core/ports/operation-queue';
import type { RunLog } from '../shared/core/ports/run-log';
import type { Staging } from '../shared/core/ports/staging';
import type { WebhookSender } from '../shared/core/ports/webhook-sender';
import { AccountNumbers, accountNumberFormat } from '../shared/core/use-cases/account-numbers';
import { CustomerSearchService } from '../shared/core/use-cases/customer-search';
import { CustomerService } from '../shared/core/use-cases/customers';
import { DeliveryOptions, WebhookDeliverer } from '../shared/core/use-cases/deliver-webhooks';
import { Distributor } from '../shared/core/use-cases/distribute';
import { HqService } from '../shared/core/use-cases/hq';
import { intoStaging, Reconciler } from '../shared/core/use-cases/reconcile';
import { SyncStatusCommands } from '../shared/core/use-cases/sync-status/commands';
import { SyncStatusQueries } from '../shared/core/use-cases/sync-status/queries';
import { Synchronizer } from '../shared/core/use-cases/synchronize';
import { Uploader } from '../shared/core/use-cases/upload';
import { WebhookEvents } from '../shared/core/use-cases/webhook-events';

/** The ports are the core's (shared/core/ports); re-exported for those who wire them. */
export type { Ports };

export interface Services {
  config: AppConfig;
  ports: Ports;
  customers: CustomerService;
  /** The storefront's customer search, pending sync or not. */
  customerSearch: CustomerSearchService;
  hq: HqService;
  channel: ChannelCustomers;
  queue: OperationQueue;
  staging: Staging;
  uploader: Uploader;
  synchronizer: Synchronizer;
  runs: RunLog;
  /** The operators' "Customer synchronization status": the list, detail and metrics. */
  syncStatus: SyncStatusQueries;
  /** Save and Synchronize on that list. */
  syncStatusCommands: SyncStatusCommands;
  /** Completion webhooks from the outbox, on a timer of their own. */
  webhooks: WebhookDeliverer;
  dispose(): void;
}

export interface ServiceOverrides {
  cosmosClient?: CosmosClient;
  queueServiceClient?: QueueServiceClient;
  /** Requests the Cosmos client the app builds sends are shown to these (the benchmark counts them). */
  cosmosPlugins?: PluginConfig[];
  /** Lets a test or benchmark switch HQ servicing or latency without a restart. */
  hq?: { servicing?: () => boolean; latencyMs?: () => number };
  log?: (message: string) => void;
  /** Reconciliation's grace period (tests use 0; see use-cases/reconcile.ts). */
  reconcileGraceMs?: number;
  /** How webhooks are posted (the HTTP sender unless told). */
  webhookSender?: WebhookSender;
  /** Delivery rounds' sizes, budget and retry schedule (tests shorten the schedule). */
  webhookDelivery?: DeliveryOptions;
}

/** The use cases on the given ports. */
export function composeServices(config: AppConfig, ports: Ports, overrides: ServiceOverrides = {}, dispose: () => void = () => {}): Services {
  const log = overrides.log ?? (() => {});
  const { clock } = ports;
  const accountNumbers = new AccountNumbers(ports.numberSequences, 'customerAccount', accountNumberFormat(config.hq.accountNumberPrefix));
  const hq = new HqService(
    ports.hqCustomers,
    accountNumbers,
    {
      servicing: overrides.hq?.servicing ?? config.hq.servicingNow,
      latencyMs: overrides.hq?.latencyMs ?? (() => config.hq.simulatedLatencyMs),
    },
    clock,
  );
  const events = new WebhookEvents(config, ports.webhookOutbox, clock);
  const synchronizer = new Synchronizer(
    ports.staging,
    hq,
    new Distributor(ports.channel, clock, log, events),
    { maxAttempts: config.sync.maxAttempts, log, events },
    clock,
  );
  const webhooks = new WebhookDeliverer(config, ports.webhookOutbox, overrides.webhookSender ?? new HttpWebhookSender(), clock, {
    log,
    ...overrides.webhookDelivery,
  });
  const syncStatus = new SyncStatusQueries({
    config,
    readModel: ports.syncStatusReadModel,
    staging: ports.staging,
    channel: ports.channel,
    hq,
    queue: ports.queue,
    runs: ports.runs,
    webhooks,
    clock,
  });
  const reconciler = new Reconciler(ports.channel, intoStaging(ports.staging), { graceMs: overrides.reconcileGraceMs, log });
  return {
    config,
    ports,
    customers: new CustomerService({ config, store: ports.channel, queue: ports.queue, hq, clock, log }),
    customerSearch: new CustomerSearchService({ config, search: ports.customerSearch }),
    hq,
    channel: ports.channel,
    queue: ports.queue,
    staging: ports.staging,
    uploader: new Uploader(ports.queue, ports.staging, clock, log, reconciler, synchronizer, events),
    synchronizer,
    runs: ports.runs,
    syncStatus,
    syncStatusCommands: new SyncStatusCommands({
      readModel: ports.syncStatusReadModel,
      staging: ports.staging,
      channel: ports.channel,
      synchronizer,
      queries: syncStatus,
      clock,
      log,
    }),
    webhooks,
    dispose,
  };
}

/** The use cases on Cosmos DB and Azure Storage queues, as configured. */
export function createServices(config: AppConfig, overrides: ServiceOverrides = {}): Services {
  const cosmosClient = overrides.cosmosClient ?? createCosmosClient(config.cosmos, { plugins: overrides.cosmosPlugins });
  const queueService = overrides.queueServiceClient ?? createQueueServiceClient(config.asyncQueue.connection);
  const c = containers(cosmosClient, config.cosmos);
  const ports: Ports = {
    channel: new CosmosChannelCustomers(c.channelCustomers),
    customerSearch: new CosmosCustomerSearch(c.channelCustomers),
    hqCustomers: new CosmosHqCustomers(c.hqCustomers),
    numberSequences: new CosmosNumberSequences(c.hqNumberSequences),
    staging: new CosmosStaging(c.hqOperations),
    queue: new StorageOperationQueue(queueService.getQueueClient(config.asyncQueue.name), queueService.getQueueClient(config.asyncQueue.poisonName)),
    runs: new CosmosRunLog(c.hqSyncRuns),
    syncStatusReadModel: new CosmosSyncStatusReadModel(c.hqOperations, c.channelCustomers),
    webhookOutbox: new CosmosWebhookOutbox(c.hqWebhookOutbox),
    clock: systemClock,
  };
  return composeServices(config, ports, overrides, () => cosmosClient.dispose());
}

/**
 * Creates the databases, containers and queues the app needs, if missing. Locally and in tests
 * this runs before the app starts; in Azure, infra/ declares the same resources.
 */
export async function provisionStorage(config: Pick<AppConfig, 'cosmos' | 'asyncQueue'>): Promise<void> {
  await provisionCosmos(config.cosmos);
  await provisionQueues(config.asyncQueue);
}

let shared: Services | undefined;

/** The process-wide services, built on first use from the app settings. */
export function services(): Services {
  shared ??= createServices(appConfig(), { log: (m) => console.log(m) });
  return shared;
}
