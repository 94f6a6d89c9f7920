import { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import { DefaultAzureCredential } from '@azure/identity';
import type { StorageConnection } from '../../core/config/settings';

export function createQueueServiceClient(connection: StorageConnection): QueueServiceClient {
  if (connection.connectionString) {
    const value = connection.connectionString === 'UseDevelopmentStorage=true' ? developmentStorage() : connection.connectionString;
    return QueueServiceClient.fromConnectionString(value);
  }
  return new QueueServiceClient(connection.queueServiceUri!, new DefaultAzureCredential());
}

export function createQueueClient(connection: StorageConnection, name: string): QueueClient {
  return createQueueServiceClient(connection).getQueueClient(name);
}

/** `UseDevelopmentStorage=true` spelled out, so every SDK sees Azurite on its default ports. */
function developmentStorage(): string {
  return (
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
    'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
    'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;' +
    'TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;'
  );
}
