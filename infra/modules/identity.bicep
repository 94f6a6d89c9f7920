// The user-assigned managed identity the function app runs as. It outlives the app, so role
// assignments survive a re-created site.

import { resourceTags } from '../types.bicep'

param name string
param location string
param tags resourceTags = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
