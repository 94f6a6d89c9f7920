// Data-plane roles for the app's managed identity and, optionally, for the developer who runs
// `azd up` (principalId), so both can use the same identity-based settings.
//   Storage: Blob Data Owner, Queue Data Contributor, Table Data Contributor (Functions host,
//            Durable task hub, deployment package, the async queue).
//   Application Insights: Monitoring Metrics Publisher (Entra ID telemetry ingestion).
//   Cosmos DB: Built-in Data Contributor (a Cosmos SQL role assignment, not an Azure RBAC one).

param storageAccountName string
param applicationInsightsName string
param cosmosAccountName string

@description('Principal (object) id of the user-assigned identity the app runs as.')
param identityPrincipalId string

@description('Optional principal (object) id of a user or service principal given the same data roles. Empty: none.')
param principalId string = ''

@description('Type of principalId.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}
var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]
// Cosmos DB Built-in Data Contributor (data-plane role definition of every account).
var cosmosDataContributor = '00000000-0000-0000-0000-000000000002'

var principals = concat(
  [
    {
      id: identityPrincipalId
      type: 'ServicePrincipal'
    }
  ],
  empty(principalId)
    ? []
    : [
        {
          id: principalId
          type: principalType
        }
      ]
)
var storageAssignments = flatten(map(principals, p => map(storageRoles, r => {
  principalId: p.id
  principalType: p.type
  roleId: r
})))

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: cosmosAccountName
}

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for a in storageAssignments: {
    name: guid(storage.id, a.principalId, a.roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', a.roleId)
      principalId: a.principalId
      principalType: a.principalType
    }
  }
]

resource monitoringRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for p in principals: {
    name: guid(applicationInsights.id, p.id, roles.monitoringMetricsPublisher)
    scope: applicationInsights
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
      principalId: p.id
      principalType: p.type
    }
  }
]

resource cosmosRoleAssignments 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = [
  for p in principals: {
    parent: cosmos
    name: guid(cosmos.id, p.id, cosmosDataContributor)
    properties: {
      roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataContributor}'
      principalId: p.id
      scope: cosmos.id
    }
  }
]
