/**
 * Every Cosmos container the app uses, with its partition key: the single list that
 * provisioning (local start, tests) and the infra drift test read.
 */
export type DatabaseRole = 'hq' | 'channel';

export interface ContainerSpec {
  database: DatabaseRole;
  id: string;
  partitionKey: string;
  purpose: string;
  /** -1: documents expire after their own `ttl` (seconds), and live on without one. */
  defaultTtl?: -1;
}

export const CONTAINERS = {
  hqCustomers: { database: 'hq', id: 'customers', partitionKey: '/id', purpose: 'HQ customer master, one document per customer' },
  hqOperations: {
    database: 'hq',
    id: 'asyncOperations',
    partitionKey: '/customerId',
    purpose: 'HQ staging of uploaded async operations (the RETAILASYNC* tables), one document per operation',
  },
  hqNumberSequences: { database: 'hq', id: 'numberSequences', partitionKey: '/id', purpose: 'HQ number sequences (customer account)' },
  hqSyncRuns: { database: 'hq', id: 'syncRuns', partitionKey: '/id', purpose: 'one document per sync run' },
  hqWebhookOutbox: {
    database: 'hq',
    id: 'webhookOutbox',
    partitionKey: '/channelId',
    purpose: 'the webhook outbox: one document per event and channel receiver, until it is delivered or given up (then kept for a while)',
    defaultTtl: -1,
  },
  channelCustomers: {
    database: 'channel',
    id: 'customers',
    partitionKey: '/id',
    purpose: "the channel's customers, each with its async operations and their statuses",
  },
} as const satisfies Record<string, ContainerSpec>;

export type ContainerName = keyof typeof CONTAINERS;
