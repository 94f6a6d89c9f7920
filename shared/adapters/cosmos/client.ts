import https from 'node:https';
import { Container, CosmosClient, CosmosClientOptions, PluginConfig } from '@azure/cosmos';
import { DefaultAzureCredential } from '@azure/identity';
import type { AppConfig } from '../../core/config/settings';
import { CONTAINERS, ContainerName } from './layout';

const LOOPBACK = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i;

/**
 * A Cosmos client for the configured account: the key when one is set, managed identity otherwise.
 * The emulators' self-signed certificate is accepted for loopback endpoints only. `plugins` lets
 * the benchmark count requests on exactly the client the app uses (the SDK accepts them but
 * leaves them out of its published option type).
 */
export function createCosmosClient(cosmos: AppConfig['cosmos'], extra: { plugins?: PluginConfig[] } = {}): CosmosClient {
  const loopback = LOOPBACK.test(cosmos.endpoint);
  const options: CosmosClientOptions & { plugins?: PluginConfig[] } = {
    endpoint: cosmos.endpoint,
    ...(cosmos.key ? { key: cosmos.key } : { aadCredentials: new DefaultAzureCredential() }),
    ...(loopback ? { agent: new https.Agent({ rejectUnauthorized: false, keepAlive: true, maxSockets: 64 }) } : {}),
    connectionPolicy: { enableEndpointDiscovery: !loopback },
    ...(extra.plugins ? { plugins: extra.plugins } : {}),
  };
  return new CosmosClient(options);
}

export type Containers = Record<ContainerName, Container>;

export function containers(client: CosmosClient, cosmos: AppConfig['cosmos']): Containers {
  const databaseId = { hq: cosmos.hqDatabase, channel: cosmos.channelDatabase };
  return Object.fromEntries(
    Object.entries(CONTAINERS).map(([name, spec]) => [name, client.database(databaseId[spec.database]).container(spec.id)]),
  ) as Containers;
}
