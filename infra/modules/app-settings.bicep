// Every app setting of the function app (DESIGN.md section 6, shared/core/config/settings.ts), as one
// Microsoft.Web/sites/config "appsettings" resource: this replaces the whole set, so every setting
// the app needs is here. test/infra/drift.test.ts checks that each setting readConfig() reads is
// named in this file (or is on its commented allow-list).
//
// Deliberately absent:
//   AzureWebJobsStorage (connection string) and CosmosDb__key: shared keys and Cosmos keys are off;
//     the app uses its managed identity for both.
//   AsyncQueue__connection: the queue lives in AzureWebJobsStorage's account.
//   Hq__simulatedLatencyMs: a local benchmark knob.
//   FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION: Flex Consumption takes the runtime from
//     functionAppConfig and rejects these settings.
//
// With the Durable Task Scheduler backend, four more settings override host.json's durableTask
// section (AzureFunctionsJobHost__path__to__setting beats host.json), so one host.json serves both.

import { featureFlags, storeConfig, syncTuning } from '../types.bicep'

param functionAppName string

@description('Client id of the user-assigned identity the app runs as.')
param identityClientId string

param storageAccountName string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string

param applicationInsightsConnectionString string

param cosmosEndpoint string
param hqDatabaseName string
param channelDatabaseName string

param asyncQueueName string

@minLength(1)
param stores storeConfig[]

param features featureFlags
param hqServicing bool
param hqAccountNumberPrefix string
param sync syncTuning

@description('Webhooks__schedule: the webhook deliverer\'s timer.')
param webhookSchedule string

@description('Durable Task Scheduler backend: its endpoint and task hub. null: the Azure Storage backend of host.json.')
param durableTaskScheduler { endpoint: string, taskHubName: string }?

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

var fixedSettings = {
  // Functions host and Durable task hub storage, identity-based. The app's own queue client reads
  // AzureWebJobsStorage__queueServiceUri (or builds it from __accountName) and uses
  // DefaultAzureCredential, which picks the user-assigned identity from AZURE_CLIENT_ID.
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AZURE_CLIENT_ID: identityClientId

  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'

  AsyncQueue__name: asyncQueueName

  // No CosmosDb__key: without a key the app signs in with DefaultAzureCredential.
  CosmosDb__endpoint: cosmosEndpoint
  CosmosDb__hqDatabase: hqDatabaseName
  CosmosDb__channelDatabase: channelDatabaseName

  Features__PerformanceImprovementsForCustomerOrders: features.PerformanceImprovementsForCustomerOrders ? 'true' : 'false'
  Features__EnhancedAsyncCustomerCreation: features.EnhancedAsyncCustomerCreation ? 'true' : 'false'
  Features__AsyncCustomerAddressCreation: features.AsyncCustomerAddressCreation ? 'true' : 'false'
  Features__AsyncCustomerEditing: features.AsyncCustomerEditing ? 'true' : 'false'

  Hq__servicing: hqServicing ? 'true' : 'false'
  Hq__accountNumberPrefix: hqAccountNumberPrefix

  Sync__mode: sync.mode
  Sync__idleDelaySeconds: string(sync.idleDelaySeconds)
  Sync__schedule: sync.schedule
  Sync__batchSize: string(sync.batchSize)
  Sync__maxParallelBatches: string(sync.maxParallelBatches)
  Sync__maxAttempts: string(sync.maxAttempts)
  Sync__maxMessagesPerRun: string(sync.maxMessagesPerRun)

  Webhooks__schedule: webhookSchedule
}

// The stores parameter, one channel per store and one functionality profile per store (named
// after the store id), flattened into the grouped settings the app enumerates:
//   Channels__{id}__name, Channels__{id}__functionalityProfile,
//   FunctionalityProfiles__{id}__createCustomerInAsyncMode,
//   FunctionalityProfiles__{id}__fallbackToAsyncWhenHqUnavailable
// and, for a store with a webhook, Channels__{id}__webhookUrl and Channels__{id}__webhookSecret. The
// secret is never a deployment value: the setting is a Key Vault reference, resolved by the platform
// with the app's identity (function-app.bicep: keyVaultReferenceIdentity). Each of the two is
// emitted only when given, so a store with one and not the other is refused at start-up by name.
var storeSettings = reduce(stores, {}, (settings, store) => union(
  settings,
  {
    'Channels__${store.id}__name': store.name
    'Channels__${store.id}__functionalityProfile': store.id
    'FunctionalityProfiles__${store.id}__createCustomerInAsyncMode': store.asyncMode ? 'true' : 'false'
    'FunctionalityProfiles__${store.id}__fallbackToAsyncWhenHqUnavailable': (store.?fallbackToAsyncWhenHqUnavailable ?? false) ? 'true' : 'false'
  },
  store.?webhookUrl == null ? {} : {
    'Channels__${store.id}__webhookUrl': store.?webhookUrl
  },
  store.?webhookSecretUri == null ? {} : {
    'Channels__${store.id}__webhookSecret': '@Microsoft.KeyVault(SecretUri=${store.?webhookSecretUri})'
  }
))

// storageProvider type azureManaged with a connection string named by connectionStringName, whose
// user-assigned identity is ClientID; hubName must be a task hub of the scheduler.
var durableTaskSchedulerSettings = durableTaskScheduler == null
  ? {}
  : {
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
      AzureFunctionsJobHost__extensions__durableTask__hubName: durableTaskScheduler.?taskHubName
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskScheduler.?endpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
    }

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(fixedSettings, storeSettings, durableTaskSchedulerSettings)
}
