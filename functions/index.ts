/**
 * Every function of the app, registered in one place. Handlers are factories that receive their
 * dependencies, so tests can hand them other clients.
 */
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { appConfig } from '../shared/core/config/settings';
import { services } from './composition-root';
import { openApiHandler } from './http/openapi';
import { opsPageHandler } from './http/ops-page';
import {
  configHandler,
  durableSyncLoop,
  durableSyncRunActive,
  getSyncStatusHandler,
  listSyncStatusHandler,
  metricsHandler,
  saveSyncStatusHandler,
  synchronizeOperationHandler,
} from './http/ops-sync-status';
import { listRunsHandler, runSyncHandler } from './http/sync-runs';
import { addAddressHandler, editCustomerHandler, getCustomerHandler, searchCustomersHandler, signUpHandler } from './http/storefront';
import {
  ACTIVITY,
  customerSyncOrchestrator,
  recordRunActivity,
  SYNC_ORCHESTRATION,
  synchronizeActivity,
  syncTimerHandler,
  uploadActivity,
} from './sync/customer-sync';
import { deliverWebhooksHandler } from './webhooks/deliver-webhooks';

// Read and validate the settings at start-up: a bad value stops the app with its name.
const config = appConfig();
for (const feature of config.features.values()) {
  if (feature.enabled && !feature.effective) console.warn(`Feature ${feature.name} is enabled but not effective: ${feature.reason}`);
}
const customers = () => services().customers;

// Storefront (channel) API.
app.http('signUpCustomer', {
  route: 'channels/{channelId}/customers',
  methods: ['POST'],
  authLevel: 'function',
  handler: signUpHandler(customers),
});
app.http('searchCustomers', {
  route: 'channels/{channelId}/customers',
  methods: ['GET'],
  authLevel: 'function',
  handler: searchCustomersHandler(() => services().customerSearch),
});
app.http('getCustomer', {
  route: 'channels/{channelId}/customers/{customerId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: getCustomerHandler(customers),
});
app.http('editCustomer', {
  route: 'channels/{channelId}/customers/{customerId}',
  methods: ['PATCH'],
  authLevel: 'function',
  handler: editCustomerHandler(customers),
});
app.http('addCustomerAddress', {
  route: 'channels/{channelId}/customers/{customerId}/addresses',
  methods: ['POST'],
  authLevel: 'function',
  handler: addAddressHandler(customers),
});

// Sync: the timer and the on-demand starter share one singleton orchestration.
app.timer('syncTimer', {
  schedule: '%Sync__schedule%',
  // Continuous mode: start the loop as soon as the app starts, not at the next tick. The start is
  // idempotent (a running loop is left alone), so a restart or a new instance costs one status read.
  runOnStartup: config.sync.mode === 'continuous',
  extraInputs: [df.input.durableClient()],
  handler: syncTimerHandler(services),
});
app.http('runSync', {
  route: 'ops/sync/run',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: runSyncHandler(services),
});
app.http('listSyncRuns', {
  route: 'ops/sync/runs',
  methods: ['GET'],
  authLevel: 'function',
  handler: listRunsHandler(services),
});

// Operations (HQ) API and the operator page: "Customer synchronization status".
app.http('opsPage', {
  // The host's ASP.NET routing ignores a trailing slash: this serves /api/ops and /api/ops/ alike.
  route: 'ops',
  methods: ['GET'],
  authLevel: 'function',
  handler: opsPageHandler(),
});
app.http('listCustomerSyncStatus', {
  route: 'ops/customer-sync-status',
  methods: ['GET'],
  authLevel: 'function',
  handler: listSyncStatusHandler(services),
});
app.http('getCustomerSyncStatus', {
  route: 'ops/customer-sync-status/{operationId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: getSyncStatusHandler(services),
});
app.http('saveCustomerSyncStatus', {
  route: 'ops/customer-sync-status/{operationId}',
  methods: ['PATCH'],
  authLevel: 'function',
  handler: saveSyncStatusHandler(services),
});
app.http('synchronizeOperation', {
  route: 'ops/customer-sync-status/{operationId}/synchronize',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: synchronizeOperationHandler(services, durableSyncRunActive),
});
app.http('opsMetrics', {
  route: 'ops/metrics',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: metricsHandler(services, durableSyncLoop),
});
app.http('opsConfig', {
  route: 'ops/config',
  methods: ['GET'],
  authLevel: 'function',
  handler: configHandler(services),
});

// Completion webhooks: delivered from the outbox by a timer of their own, when a channel has one.
if ([...config.channels.values()].some((channel) => channel.webhook)) {
  app.timer('deliverWebhooks', {
    schedule: config.webhooks.schedule,
    handler: deliverWebhooksHandler(services),
  });
}
// The API's description: every route above, generated from the schemas the handlers use. Built on
// its first request (functions/http/openapi.ts). A function key like every route: storefront teams
// have one, and `?code=` lets any tool fetch it.
app.http('openApiDocument', {
  route: 'openapi.json',
  methods: ['GET'],
  authLevel: 'function',
  handler: openApiHandler(),
});

df.app.orchestration(SYNC_ORCHESTRATION, customerSyncOrchestrator);
df.app.activity(ACTIVITY.upload, { handler: uploadActivity(services) });
df.app.activity(ACTIVITY.synchronize, { handler: synchronizeActivity(services) });
df.app.activity(ACTIVITY.record, { handler: recordRunActivity(services) });
