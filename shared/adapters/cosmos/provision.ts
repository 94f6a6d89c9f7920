import type { AppConfig } from '../../core/config/settings';
import { createCosmosClient } from './client';
import { CONTAINERS, queueNames } from './layout';
import { createQueueServiceClient } from '../queue/client';

/**
 * Creates the databases, containers and queues the app needs, if missing. Locally and in tests
 * this runs before the app starts; in Azure, infra/ declares the same resources.
 */
export async function provisionStorage(config: Pick<AppConfig, 'cosmos' | 'asyncQueue'>): Promise<void> {
  const client = createCosmosClient(config.cosmos);
  try {
    const databaseId = { hq: config.cosmos.hqDatabase, channel: config.cosmos.channelDatabase };
    for (const id of new Set(Object.values(databaseId))) await client.databases.createIfNotExists({ id });
    for (const spec of Object.values(CONTAINERS)) {
      await client
        .database(databaseId[spec.database])
        .containers.createIfNotExists({ id: spec.id, partitionKey: { paths: [spec.partitionKey] } });
    }
  } finally {
    client.dispose();
  }
  const queues = createQueueServiceClient(config.asyncQueue.connection);
  for (const name of queueNames(config.asyncQueue.name)) await queues.getQueueClient(name).createIfNotExists();
}
