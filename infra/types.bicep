// Shared parameter types, imported by main.bicep and the modules that take the same shapes.

@export()
@description('One online store (a channel of the storefront). Each store gets its own functionality profile, named after the store id.')
type storeConfig = {
  @description('Channel id as used in the routes (/api/channels/{id}/...): letters, digits and "_" only. Also the id of its functionality profile.')
  @minLength(1)
  @maxLength(64)
  id: string

  @description('Display name for the ops page.')
  name: string

  @description('true: sign-ups are created in async mode (202, "Pending sync"); false: real time against HQ.')
  asyncMode: bool

  @description('Real-time stores only: true queues a sign-up instead of answering 503 while HQ is unavailable. Default false.')
  fallbackToAsyncWhenHqUnavailable: bool?

  @description('Optional: the https URL that receives this store\'s completion webhooks (customer.synced, customer.syncFailed). Needs webhookSecretUri.')
  webhookUrl: string?

  @description('Optional: the Key Vault secret URI (https://{vault}.vault.azure.net/secrets/{name}) of the store\'s Standard Webhooks secret ("whsec_" + base64). The app reads it through a Key Vault reference with its user-assigned identity, which needs the "Key Vault Secrets User" role on that vault. Needs webhookUrl.')
  webhookSecretUri: string?
}

@export()
@description('Commerce feature switches (Features__*). AsyncCustomerEditing is only effective with the three others on.')
type featureFlags = {
  PerformanceImprovementsForCustomerOrders: bool
  EnhancedAsyncCustomerCreation: bool
  AsyncCustomerAddressCreation: bool
  AsyncCustomerEditing: bool
}

@export()
@description('Sync run tuning (Sync__*). Ranges are the ones the app validates at start-up.')
type syncTuning = {
  @description('continuous: the loop passes while work arrives (the timer is its watchdog); scheduled: one run per timer tick.')
  mode: 'continuous' | 'scheduled'

  @description('Longest wait between two checks of an idle continuous loop, in seconds.')
  @minValue(1)
  @maxValue(3600)
  idleDelaySeconds: int

  @description('Six-field NCRONTAB schedule of the sync timer.')
  schedule: string

  @minValue(1)
  @maxValue(1000)
  batchSize: int

  @minValue(1)
  @maxValue(64)
  maxParallelBatches: int

  @minValue(1)
  @maxValue(100)
  maxAttempts: int

  @minValue(1)
  @maxValue(10000000)
  maxMessagesPerRun: int
}

@export()
@description('Resource tags: tag names to string values.')
type resourceTags = {
  *: string
}
