// Asynchronous customer creation: Azure Functions (Flex Consumption, Node 20) with Cosmos DB,
// a Storage queue, Durable Functions and Application Insights, all reached with one user-assigned
// managed identity (no keys or connection strings). Deployed by `azd up` (see infra/README.md).

targetScope = 'subscription'

import { featureFlags, storeConfig, syncTuning } from 'types.bicep'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds resource names.')
param environmentName string

@minLength(1)
@description('Region of every resource. It must offer Flex Consumption function apps.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('The online stores (channels). Each becomes Channels__{id}__* settings and its own functionality profile FunctionalityProfiles__{id}__*. Edit this list and run `azd provision` to add a store or change its mode.')
@minLength(1)
param stores storeConfig[]

@description('Features__* switches.')
param features featureFlags = {
  PerformanceImprovementsForCustomerOrders: false
  EnhancedAsyncCustomerCreation: false
  AsyncCustomerAddressCreation: false
  AsyncCustomerEditing: false
}

@description('Hq__servicing: true makes the HQ service answer real-time calls with "unavailable".')
param hqServicing bool = false

@description('Hq__accountNumberPrefix: 0-10 uppercase letters or digits.')
@maxLength(10)
param hqAccountNumberPrefix string = 'C'

@description('Sync__* tuning (defaults as in shared/config/settings.ts SYNC_DEFAULTS).')
param sync syncTuning = {
  schedule: '0 */5 * * * *'
  batchSize: 50
  maxParallelBatches: 4
  maxAttempts: 3
  maxMessagesPerRun: 100000
}

@description('AsyncQueue__name; the poison queue "{name}-poison" is created beside it.')
param asyncQueueName string = 'async-customer-operations'

@description('CosmosDb__hqDatabase. Must differ from cosmosChannelDatabaseName.')
param cosmosHqDatabaseName string = 'commerce-hq'

@description('CosmosDb__channelDatabase.')
param cosmosChannelDatabaseName string = 'commerce-channel'

@description('0 (default): serverless Cosmos DB account. Above 0: provisioned account, this many RU/s (min 400) shared by the containers of each database. Chosen at account creation.')
@minValue(0)
param cosmosThroughput int = 0

@description('Flex Consumption instance memory (MB).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Flex Consumption maximum instance count.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional: object id of the deploying user (azd sets AZURE_PRINCIPAL_ID), given the same data roles as the app for local runs against Azure. Empty: none.')
param principalId string = ''

@description('Type of principalId.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Optional resource group name; default rg-{environmentName}.')
param resourceGroupName string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    asyncQueueName: asyncQueueName
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    accountName: 'cosmos-${resourceToken}'
    location: location
    tags: tags
    hqDatabaseName: cosmosHqDatabaseName
    channelDatabaseName: cosmosChannelDatabaseName
    throughput: cosmosThroughput
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    cosmosAccountName: cosmos.outputs.name
    identityPrincipalId: identity.outputs.principalId
    principalId: principalId
    principalType: principalType
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    nodeVersion: '20'
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
}

module appSettings 'modules/app-settings.bicep' = {
  name: 'appSettings'
  scope: rg
  params: {
    functionAppName: functionApp.outputs.name
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    cosmosEndpoint: cosmos.outputs.endpoint
    hqDatabaseName: cosmos.outputs.hqDatabaseName
    channelDatabaseName: cosmos.outputs.channelDatabaseName
    asyncQueueName: asyncQueueName
    stores: stores
    features: features
    hqServicing: hqServicing
    hqAccountNumberPrefix: hqAccountNumberPrefix
    sync: sync
  }
  // The host starts reading these settings at once: give it its data roles first.
  dependsOn: [
    rbac
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_URI string = functionApp.outputs.uri
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = functionApp.outputs.uri
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint
output ASYNC_QUEUE_NAME string = asyncQueueName
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_ACCOUNT_NAME string = cosmos.outputs.name
output COSMOS_HQ_DATABASE string = cosmos.outputs.hqDatabaseName
output COSMOS_CHANNEL_DATABASE string = cosmos.outputs.channelDatabaseName
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
