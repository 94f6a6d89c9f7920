import type { AppConfig } from '../../core/config/settings';
import { createCosmosClient } from './client';
import { CONTAINERS } from './layout';

/** Creates the databases and containers the app needs, if missing (infra/ declares them in Azure). */
export async function provisionCosmos(cosmos: AppConfig['cosmos']): Promise<void> {
  const client = createCosmosClient(cosmos);
  try {
    const databaseId = { hq: cosmos.hqDatabase, channel: cosmos.channelDatabase };
    for (const id of new Set(Object.values(databaseId))) await client.databases.createIfNotExists({ id });
    for (const spec of Object.values(CONTAINERS)) {
      await client.database(databaseId[spec.database]).containers.createIfNotExists({
        id: spec.id,
        partitionKey: { paths: [spec.partitionKey] },
        ...('defaultTtl' in spec ? { defaultTtl: spec.defaultTtl } : {}),
      });
    }
  } finally {
    client.dispose();
  }
}
