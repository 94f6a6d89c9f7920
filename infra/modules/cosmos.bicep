// Cosmos DB for NoSQL: the HQ and channel databases and every container of
// shared/adapters/cosmos/layout.ts (CONTAINERS), with the same partition keys. Keys are disabled: the app
// connects with Entra ID (DefaultAzureCredential -> the user-assigned identity, AZURE_CLIENT_ID)
// and the Cosmos DB Built-in Data Contributor role (rbac.bicep).

import { resourceTags } from '../types.bicep'

param accountName string
param location string
param tags resourceTags = {}

@description('Database of the HQ side (CosmosDb__hqDatabase).')
param hqDatabaseName string

@description('Database of the channel side (CosmosDb__channelDatabase).')
param channelDatabaseName string

@description('0: serverless account (default). Above 0: provisioned account with this many RU/s of manual throughput shared by the containers of each database (minimum 400). The capacity mode is fixed when the account is created.')
@minValue(0)
param throughput int = 0

var serverless = throughput == 0
var databaseOptions = serverless ? {} : { throughput: throughput }

// Default policy: index everything (the small containers are read by id or by a few fields).
var indexAll = {
  indexingMode: 'consistent'
  automatic: true
  includedPaths: [
    { path: '/*' }
  ]
  excludedPaths: [
    { path: '/"_etag"/?' }
  ]
}

// HQ staging (one document per operation). The ops list filters on status, channelId, entity,
// customerAccount, custAccountAsync and email, newest first (ORDER BY createdAt DESC, id DESC for a
// stable page order), and the sync reads a customer's operations by replicationCounter.
// The operation payload (addresses, contacts, attributes...) is not queried except for the
// e-mail, so it stays out of the index to keep writes cheap; index more payload paths here if a
// query needs them. Composite indexes: a multi-field ORDER BY needs one (createdAt, id), and an
// equality filter ordered by createdAt uses (filter, createdAt) when the query orders by both.
var asyncOperationsIndexing = {
  indexingMode: 'consistent'
  automatic: true
  includedPaths: [
    { path: '/*' }
    { path: '/payload/email/?' }
  ]
  excludedPaths: [
    { path: '/"_etag"/?' }
    { path: '/payload/*' }
  ]
  compositeIndexes: [
    [
      { path: '/createdAt', order: 'ascending' }
      { path: '/id', order: 'ascending' }
    ]
    [
      { path: '/status', order: 'ascending' }
      { path: '/createdAt', order: 'ascending' }
    ]
    [
      { path: '/channelId', order: 'ascending' }
      { path: '/createdAt', order: 'ascending' }
    ]
    [
      { path: '/entity', order: 'ascending' }
      { path: '/createdAt', order: 'ascending' }
    ]
    [
      { path: '/customerId', order: 'ascending' }
      { path: '/replicationCounter', order: 'ascending' }
    ]
  ]
}

// One entry per container of CONTAINERS in shared/adapters/cosmos/layout.ts: database role ('hq' or
// 'channel'), id and partition key. test/infra/drift.test.ts reads this list as text and fails
// when it and the code disagree, so keep one property per line.
var containers = [
  {
    database: 'hq'
    id: 'customers'
    partitionKey: '/id'
    indexingPolicy: indexAll
  }
  {
    database: 'hq'
    id: 'asyncOperations'
    partitionKey: '/customerId'
    indexingPolicy: asyncOperationsIndexing
  }
  {
    database: 'hq'
    id: 'numberSequences'
    partitionKey: '/id'
    indexingPolicy: indexAll
  }
  {
    database: 'hq'
    id: 'syncRuns'
    partitionKey: '/id'
    indexingPolicy: indexAll
  }
  {
    database: 'hq'
    id: 'webhookOutbox'
    partitionKey: '/channelId'
    indexingPolicy: indexAll
    // Delivered and given-up deliveries carry a ttl and expire; pending ones carry none.
    defaultTtl: -1
  }
  {
    database: 'channel'
    id: 'customers'
    partitionKey: '/id'
    indexingPolicy: indexAll
  }
]

var databaseNames = {
  hq: hqDatabaseName
  channel: channelDatabaseName
}

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    capabilities: serverless ? [ { name: 'EnableServerless' } ] : []
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    publicNetworkAccess: 'Enabled'
  }
}

resource hqDatabase 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: hqDatabaseName
  properties: {
    resource: {
      id: hqDatabaseName
    }
    options: databaseOptions
  }
}

resource channelDatabase 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: channelDatabaseName
  properties: {
    resource: {
      id: channelDatabaseName
    }
    options: databaseOptions
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for container in containers: {
    name: '${account.name}/${databaseNames[container.database]}/${container.id}'
    properties: {
      resource: {
        id: container.id
        partitionKey: {
          paths: [
            container.partitionKey
          ]
          kind: 'Hash'
          version: 2
        }
        indexingPolicy: container.indexingPolicy
        defaultTtl: container.?defaultTtl
      }
      // Throughput, when provisioned, is shared at database level.
      options: {}
    }
    dependsOn: [
      hqDatabase
      channelDatabase
    ]
  }
]

output name string = account.name
output id string = account.id
output endpoint string = account.properties.documentEndpoint
output hqDatabaseName string = hqDatabase.name
output channelDatabaseName string = channelDatabase.name
