// The Durable Task Scheduler backend (main.bicep durableBackend = 'durableTaskScheduler'): a
// scheduler, the task hub the app uses, and the Durable Task Data Contributor role on that hub for
// the app's identity (and optionally the deploying user, for the scheduler's dashboard). The app
// settings that switch the Durable extension to it are in app-settings.bicep.
//
// Resource types and API version: Microsoft.DurableTask/schedulers and schedulers/taskHubs
// @2025-11-01 (GA). Role: Durable Task Data Contributor, 0ad04412-c4d5-4796-b79c-f76d14c8d402
// (Azure built-in roles, Integration). Sources in infra/README.md.

import { resourceTags } from '../types.bicep'

@description('Scheduler name: letters, digits and "-", 3 to 64 characters.')
@minLength(3)
@maxLength(64)
param name string

param location string
param tags resourceTags = {}

@description('Task hub name; the app sets extensions.durableTask.hubName to it.')
@minLength(3)
@maxLength(64)
param taskHubName string

@allowed([
  'Consumption'
  'Dedicated'
])
param skuName string

@description('IP ranges allowed to reach the scheduler; an empty list would deny everything.')
@minLength(1)
param ipAllowlist string[]

@description('Principal (object) id of the user-assigned identity the app runs as.')
param identityPrincipalId string

@description('Optional principal (object) id of a user or service principal given the same role (dashboard access). Empty: none.')
param principalId string = ''

@description('Type of principalId.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

// Durable Task Data Contributor: every data operation on schedulers and task hubs (the role most
// Durable Functions apps need; Durable Task Worker would not let the app start or query instances).
var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

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

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    ipAllowlist: ipAllowlist
    // Dedicated is bought in capacity units (1 to 3; 3 for high availability); one here.
    sku: skuName == 'Dedicated'
      ? {
          name: 'Dedicated'
          capacity: 1
        }
      : {
          name: 'Consumption'
        }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

// Scoped to the task hub, not the scheduler: the identity reaches this hub only.
resource dataRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for p in principals: {
    name: guid(taskHub.id, p.id, durableTaskDataContributor)
    scope: taskHub
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
      principalId: p.id
      principalType: p.type
    }
  }
]

@description('gRPC endpoint of the scheduler (https://{name}.{region}.durabletask.io).')
output endpoint string = scheduler.properties.endpoint

output taskHubName string = taskHub.name
