/**
 * Concurrency: duplicate sign-ups racing, sync activities racing, and two sync runs started at once.
 */
import type { DurableClient } from 'durable-functions';
import { SYNC_DEFAULTS } from '../../shared/core/config/settings';
import { startSyncRun } from '../../functions/sync/customer-sync';
import { createTestApp, signUpBody, TestApp, useEmulators } from '../support/environment';
import { footprint, quiesce } from '../support/harness';
import { twice } from '../support/faults';

const emulators = useEmulators();

/** 200 bodies: 150 identities, the first 50 of them sent twice. */
function bodies(): Record<string, unknown>[] {
  const unique = Array.from({ length: 150 }, (_, i) => signUpBody(`c${i}`));
  return [...unique, ...unique.slice(0, 50)].sort(() => Math.random() - 0.5);
}

async function hqAccounts(app: TestApp): Promise<string[]> {
  const { createCosmosClient, containers } = await import('../../shared/adapters/cosmos/client');
  const client = createCosmosClient(app.config.cosmos);
  try {
    const found = await containers(client, app.config.cosmos).hqCustomers.items.query<{ accountNumber: string }>('SELECT c.accountNumber FROM c').fetchAll();
    return found.resources.map((r) => r.accountNumber);
  } finally {
    client.dispose();
  }
}

test('200 parallel async sign-ups with 50 duplicates: 150 customers in the channel and, after sync, in HQ', async () => {
  const app = await createTestApp(emulators);
  const answers = await Promise.all(bodies().map((b) => app.services.customers.signUp('FABRIKAM', b)));
  expect(answers.filter((a) => a.outcome === 'accepted')).toHaveLength(150);
  expect(answers.filter((a) => a.outcome === 'existing')).toHaveLength(50);
  expect((await footprint(app)).channelCustomers).toBe(150);
  await quiesce(app.services);
  const accounts = await hqAccounts(app);
  expect(accounts).toHaveLength(150);
  expect(new Set(accounts).size).toBe(150);
}, 120_000);

test('200 parallel real-time sign-ups with 50 duplicates: 150 HQ customers, no account number twice', async () => {
  const app = await createTestApp(emulators);
  const answers = await Promise.all(bodies().map((b) => app.services.customers.signUp('CONTOSO', b)));
  // A duplicate answers 200 with the same customer, whichever of the two got there first.
  expect(new Set(answers.map((a) => a.customer.customerId)).size).toBe(150);
  const accounts = await hqAccounts(app);
  expect(accounts).toHaveLength(150);
  expect(new Set(accounts).size).toBe(150);
  expect(new Set(answers.map((a) => a.customer.accountNumber)).size).toBe(150);
}, 120_000);

test.each(['concurrent', 'sequential'] as const)(
  'upload and synchronize activities run twice (%s) on the same data converge',
  async (mode) => {
    const app = await createTestApp(emulators);
    await Promise.all(Array.from({ length: 20 }, (_, i) => app.services.customers.signUp('FABRIKAM', signUpBody(`t${i}`))));
    const uploads = await twice(() => app.services.uploader.upload({ maxMessages: 100, visibilityTimeoutSeconds: 1 }), mode);
    expect(uploads.every((u) => u.status === 'fulfilled')).toBe(true);
    const batch = { runId: 'same-run', group: 0, groups: 1, batchSize: 50 };
    const batches = await twice(() => app.services.synchronizer.synchronizeBatch(batch), mode);
    expect(batches.every((b) => b.status === 'fulfilled')).toBe(true);
    await quiesce(app.services);
    const accounts = await hqAccounts(app);
    expect(accounts).toHaveLength(20);
    expect(new Set(accounts).size).toBe(20);
    expect((await footprint(app)).hqOperations).toBe(20);
  },
  120_000,
);

/** Behaves like the durable store for one instance id: the first startNew wins; while it runs, others fail. */
function fakeDurableClient() {
  let status: string | undefined;
  let started = 0;
  let woken = 0;
  const client = {
    async raiseEvent() {
      if (status !== 'Running' && status !== 'Pending') throw new Error('No instance customerSync is running.');
      woken++;
    },
    async getStatus() {
      await new Promise((r) => setTimeout(r, 5)); // both starters read "not running" before either starts
      return status ? { runtimeStatus: status } : undefined;
    },
    async startNew() {
      if (status === 'Running' || status === 'Pending') throw new Error('An instance with ID customerSync already exists.');
      status = 'Pending';
      started++;
      return 'customerSync';
    },
  };
  return { client: client as unknown as DurableClient, started: () => started, woken: () => woken, finish: () => (status = 'Completed') };
}

const SCHEDULED = { ...SYNC_DEFAULTS, mode: 'scheduled' } as never;
const CONTINUOUS = { ...SYNC_DEFAULTS, mode: 'continuous' } as never;

test('two sync runs started at once result in one run; after it finishes a new one may start', async () => {
  const fake = fakeDurableClient();
  const [a, b] = await Promise.all([startSyncRun(fake.client, 'timer', SCHEDULED), startSyncRun(fake.client, 'http', SCHEDULED)]);
  expect([a.started, b.started].sort()).toEqual([false, true]);
  expect(fake.started()).toBe(1);
  expect((await startSyncRun(fake.client, 'http', SCHEDULED)).started).toBe(false);
  fake.finish();
  expect((await startSyncRun(fake.client, 'http', SCHEDULED)).started).toBe(true);
  expect(fake.woken()).toBe(0);
});

test('continuous mode: two starters racing start one loop; a start during it wakes it, the watchdog only looks', async () => {
  const fake = fakeDurableClient();
  const [a, b] = await Promise.all([startSyncRun(fake.client, 'timer', CONTINUOUS, { wake: false }), startSyncRun(fake.client, 'http', CONTINUOUS)]);
  expect([a.started, b.started].sort()).toEqual([false, true]);
  expect(fake.started()).toBe(1);
  // The loser of the race either found the loop started (and woke it) or lost at startNew.
  const before = fake.woken();
  expect(await startSyncRun(fake.client, 'http', CONTINUOUS)).toMatchObject({ started: false, woken: true });
  expect(await startSyncRun(fake.client, 'timer', CONTINUOUS, { wake: false })).toMatchObject({ started: false, woken: false });
  expect(fake.started()).toBe(1);
  expect(fake.woken()).toBe(before + 1);
});
