// The function app's storage account: Functions host and Durable task hub (blob, queue, table),
// the Flex Consumption deployment container, and the async customer queue with its poison queue.
// Shared keys are off: every client (host, Durable, the app's QueueServiceClient) uses Entra ID.

import { resourceTags } from '../types.bicep'

param name string
param location string
param tags resourceTags = {}

@description('Blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string

@description('AsyncQueue__name; the poison queue is always "{name}-poison" (shared/adapters/queue/provision.ts queueNames).')
param asyncQueueName string

// Same derivation as queueNames() in shared/adapters/queue/provision.ts; test/infra/drift.test.ts checks it.
var queueNames = [
  asyncQueueName
  '${asyncQueueName}-poison'
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobServices 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource queueServices 'queueServices' = {
    name: 'default'
  }

  // The Durable Functions task hub (host.json hubName) creates its tables itself.
  resource tableServices 'tableServices' = {
    name: 'default'
  }
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queueName in queueNames: {
    parent: storage::queueServices
    name: queueName
  }
]

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
output queueNames string[] = queueNames
