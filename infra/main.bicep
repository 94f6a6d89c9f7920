// Asynchronous customer creation: Azure Functions (Flex Consumption, Node 22) with Cosmos DB,
// a Storage queue, Durable Functions (Azure Storage backend, or the Durable Task Scheduler) and
// Application Insights, all reached with one user-assigned managed identity (no keys or connection
// strings). Deployed by `azd up` (see infra/README.md). Compiled and linted by
// test/infra/bicep.test.ts wherever a Bicep CLI is found.

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

@description('Sync__* tuning (defaults as in shared/core/config/settings.ts SYNC_DEFAULTS).')
param sync syncTuning = {
  mode: 'continuous'
  idleDelaySeconds: 10
  schedule: '0 */5 * * * *'
  batchSize: 50
  maxParallelBatches: 4
  maxAttempts: 3
  maxMessagesPerRun: 100000
}

@description('Webhooks__schedule: six-field NCRONTAB of the webhook deliverer\'s timer, which runs only when a store has a webhook. Every 5 s by default; a longer interval costs fewer executions and delays each event by up to that interval.')
param webhookSchedule string = '*/5 * * * * *'

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

@description('Always-ready instances of the Flex Consumption "durable" group (orchestrations and activities: the sync loop). Microsoft recommends at least one for Durable Functions on Flex Consumption; 0 lets the group scale from zero. The HTTP group always scales from zero.')
@minValue(0)
@maxValue(20)
param durableAlwaysReadyInstances int = 1

@description('Durable Functions backend: azureStorage (default; queues, tables and blobs in the app\'s storage account, configured by host.json) or durableTaskScheduler (creates a Durable Task Scheduler and task hub, gives the app\'s identity Durable Task Data Contributor on the hub, and switches storageProvider to azureManaged through app settings). Switching starts from an empty task hub.')
@allowed([
  'azureStorage'
  'durableTaskScheduler'
])
param durableBackend string = 'azureStorage'

@description('durableBackend = durableTaskScheduler only: Consumption (pay per action, up to 500 actions/s, 30 days of data) or Dedicated (one capacity unit: a fixed monthly price, up to 2,000 actions/s, 90 days).')
@allowed([
  'Consumption'
  'Dedicated'
])
param durableTaskSchedulerSku string = 'Consumption'

@description('durableBackend = durableTaskScheduler only: IP ranges (CIDR) allowed to reach the scheduler. It must not be empty (an empty list denies everything); Flex Consumption has no fixed outbound addresses without a virtual network, so the default admits any address and access rests on Entra ID and the data role.')
@minLength(1)
param durableTaskSchedulerIpAllowlist string[] = [
  '0.0.0.0/0'
]

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
var storageAccountName = 'st${resourceToken}'
var applicationInsightsName = 'appi-${resourceToken}'
var cosmosAccountName = 'cosmos-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'
// host.json extensions.durableTask.hubName; the Durable Task Scheduler's task hub has the same name
// (test/infra/drift.test.ts checks both).
var durableTaskHubName = 'AsyncCustomerSync'
var useDurableTaskScheduler = durableBackend == 'durableTaskScheduler'

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
    applicationInsightsName: applicationInsightsName
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
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
    accountName: cosmosAccountName
    location: location
    tags: tags
    hqDatabaseName: cosmosHqDatabaseName
    channelDatabaseName: cosmosChannelDatabaseName
    throughput: cosmosThroughput
  }
}

// Names, not module outputs, identify the resources a module refers to, so that what-if can show
// them (what-if-short-circuiting); dependsOn orders the deployments instead.
module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storageAccountName
    applicationInsightsName: applicationInsightsName
    cosmosAccountName: cosmosAccountName
    identityPrincipalId: identity.outputs.principalId
    principalId: principalId
    principalType: principalType
  }
  dependsOn: [
    storage
    monitoring
    cosmos
  ]
}

module durableTaskScheduler 'modules/durable-task-scheduler.bicep' = if (useDurableTaskScheduler) {
  name: 'durableTaskScheduler'
  scope: rg
  params: {
    name: 'dts-${resourceToken}'
    location: location
    tags: tags
    taskHubName: durableTaskHubName
    skuName: durableTaskSchedulerSku
    ipAllowlist: durableTaskSchedulerIpAllowlist
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
    blobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    nodeVersion: '22'
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    durableAlwaysReadyInstances: durableAlwaysReadyInstances
  }
}

module appSettings 'modules/app-settings.bicep' = {
  name: 'appSettings'
  scope: rg
  params: {
    functionAppName: functionAppName
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
    webhookSchedule: webhookSchedule
    durableTaskScheduler: useDurableTaskScheduler
      ? {
          endpoint: durableTaskScheduler!.outputs.endpoint
          taskHubName: durableTaskScheduler!.outputs.taskHubName
        }
      : null
  }
  // The host starts reading these settings at once: give it its data roles first (rbac, and the
  // Durable Task Scheduler's role, which that module assigns).
  dependsOn: [
    functionApp
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
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useDurableTaskScheduler ? durableTaskScheduler!.outputs.endpoint : ''
output DURABLE_TASK_HUB_NAME string = durableTaskHubName
