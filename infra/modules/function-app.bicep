// Flex Consumption plan (FC1) and the Linux function app, running as the user-assigned identity.
// The deployment package lives in a blob container reached with that identity. App settings are
// set separately (app-settings.bicep), once the identity has its data roles.

import { resourceTags } from '../types.bicep'

param name string
param planName string
param location string
param tags resourceTags = {}

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Blob endpoint of the storage account that holds the deployment container.')
param blobEndpoint string

param deploymentContainerName string

@description('Node.js major version of the Flex Consumption runtime. Node 20 reached end of life in April 2026.')
@allowed([
  '22'
])
param nodeVersion string = '22'

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Always-ready instances of the "durable" per-function scaling group (orchestrator, activity and entity triggers). 0: the group scales from zero too. The HTTP group is not listed, so it always scales from zero.')
@minValue(0)
@maxValue(20)
param durableAlwaysReadyInstances int = 1

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the service to deploy by this tag (azure.yaml: services.api).
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references in app settings (a store's webhook secret) resolve with this identity.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // Microsoft recommends an always-ready instance for the durable group of Durable Functions
        // on Flex Consumption: the orchestration loop and its activities start without a cold start.
        alwaysReady: durableAlwaysReadyInstances > 0
          ? [
              {
                name: 'durable'
                instanceCount: durableAlwaysReadyInstances
              }
            ]
          : []
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

output name string = functionApp.name
output id string = functionApp.id
output uri string = 'https://${functionApp.properties.defaultHostName}'
