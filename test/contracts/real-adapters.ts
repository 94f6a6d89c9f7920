/**
 * The real adapters' stores for the contract suites, on emulators the calling test file starts
 * (only the one it needs): a fresh Cosmos container, or a fresh queue pair, per call.
 */
import { randomUUID } from 'node:crypto';
import type { Container, CosmosClient, Database } from '@azure/cosmos';
import { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { CONTAINERS, ContainerName } from '../../shared/adapters/cosmos/layout';
import { StorageOperationQueue } from '../../shared/adapters/queue/operation-queue';
import { useEmulators } from '../support/environment';

/** Starts the Cosmos DB server for the file; the function gives an empty container laid out as the app's `name`. */
export function useCosmosContainers(): (name: ContainerName) => Promise<Container> {
  const emulators = useEmulators({ only: 'cosmos' });
  let client: CosmosClient | undefined;
  let database: Database;
  let made = 0;
  beforeAll(async () => {
    client = createCosmosClient({ endpoint: emulators.cosmosEndpoint, key: emulators.cosmosKey, hqDatabase: '', channelDatabase: '' });
    ({ database } = await client.databases.createIfNotExists({ id: `contracts-${randomUUID().slice(0, 8)}` }));
  });
  afterAll(() => client?.dispose());
  return async (name) => {
    const spec = CONTAINERS[name];
    const { container } = await database.containers.createIfNotExists({
      id: `${spec.id}-${++made}`,
      partitionKey: { paths: [spec.partitionKey] },
      ...('defaultTtl' in spec ? { defaultTtl: spec.defaultTtl } : {}),
    });
    return container;
  };
}

/** Starts Azurite for the file; the function gives the Storage operation queue on a new, empty queue and poison queue. */
export function useStorageQueues(): () => Promise<{ queue: StorageOperationQueue; poison: QueueClient }> {
  const emulators = useEmulators({ only: 'storage' });
  return async () => {
    const service = QueueServiceClient.fromConnectionString(emulators.storageConnectionString);
    const name = `contract-${randomUUID().slice(0, 8)}`;
    const [queue, poison] = [service.getQueueClient(name), service.getQueueClient(`${name}-poison`)];
    await Promise.all([queue.create(), poison.create()]);
    return { queue: new StorageOperationQueue(queue, poison), poison };
  };
}
