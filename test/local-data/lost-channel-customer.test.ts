/**
 * A queued operation whose channel customer is gone: what a lost Cosmos write would leave behind
 * if the queue kept the message (an emptied or restarted Cosmos emulator, a cosmos/ folder deleted
 * by hand, a crash of the machine within the journal's last second). The sign-up was answered 2xx,
 * so nothing may be lost: HQ is the customer master, and distribution (job 1010) gives the channel
 * the customer back from HQ. Real emulators, in memory, on free ports.
 */
import type { Container } from '@azure/cosmos';
import { containers, createCosmosClient } from '../../shared/adapters/cosmos/client';
import { ALL_FEATURES, createTestApp, runSync, signUpBody, TestApp, useEmulators } from '../support/environment';

const emulators = useEmulators();

/** The channel customer's document removed, as a lost write would leave it; the queue keeps its messages. */
async function loseChannelCustomer(app: TestApp, customerId: string): Promise<void> {
  const client = createCosmosClient(app.config.cosmos);
  try {
    const channel: Container = containers(client, app.config.cosmos).channelCustomers;
    await channel.item(customerId, customerId).delete();
  } finally {
    client.dispose();
  }
}

async function runs(app: TestApp, n: number) {
  const results = [];
  for (let i = 0; i < n; i++) results.push(await runSync(app.services));
  return results;
}

test('a queued sign-up whose channel customer was lost reaches HQ and the channel gets it back from HQ', async () => {
  const app = await createTestApp(emulators, {}, { reconcileGraceMs: 0 });
  try {
    const body = signUpBody('lost', { addresses: [{ street: '1 Main St', city: 'Oslo', countryRegionId: 'NOR', addressType: 'Home', isPrimary: true }] });
    const { customer } = await app.services.customers.signUp('FABRIKAM', body);
    await loseChannelCustomer(app, customer.customerId);
    await expect(app.services.customers.get('FABRIKAM', customer.customerId)).rejects.toThrow(/not found/i);

    const [first, second] = await runs(app, 2);
    expect(first).toMatchObject({ uploaded: 2, completed: 2, failed: 0 });
    expect(second).toMatchObject({ uploaded: 0, completed: 0, failed: 0 });

    const hq = await app.services.hq.getCustomer(customer.customerId);
    const restored = await app.services.customers.get('FABRIKAM', customer.customerId);
    expect(restored).toMatchObject({
      customerId: customer.customerId,
      accountNumber: hq!.accountNumber,
      custAccountAsync: customer.custAccountAsync,
      mode: 'async',
      syncStatus: 'Completed',
      firstName: 'Firstlost',
      email: 'userlost@example.com',
    });
    expect(restored.addresses).toHaveLength(1);
    expect(restored.operations.map((op) => op.status)).toEqual(['Completed', 'Completed']);
    // Found by its account number too, and a retried sign-up finds it instead of making another.
    expect((await app.services.customers.get('FABRIKAM', hq!.accountNumber)).customerId).toBe(customer.customerId);
    const retried = await app.services.customers.signUp('FABRIKAM', body);
    expect(retried).toMatchObject({ outcome: 'existing', customer: { customerId: customer.customerId, accountNumber: hq!.accountNumber } });
    const staged = await app.services.staging.outstandingForCustomer(customer.customerId);
    expect(staged).toEqual([]);
  } finally {
    app.services.dispose();
  }
});

test('an edit queued for a synced customer whose channel record was lost is applied, and the channel gets the customer back with it', async () => {
  const app = await createTestApp(emulators, ALL_FEATURES, { reconcileGraceMs: 0 });
  try {
    const { customer } = await app.services.customers.signUp('FABRIKAM', signUpBody('edit'));
    await runs(app, 1);
    const synced = await app.services.customers.get('FABRIKAM', customer.customerId);
    await app.services.customers.edit('FABRIKAM', customer.customerId, { lastName: 'Changed' });
    await loseChannelCustomer(app, customer.customerId);

    const [first] = await runs(app, 2);
    expect(first).toMatchObject({ completed: 1, failed: 0 });
    const restored = await app.services.customers.get('FABRIKAM', customer.customerId);
    expect(restored).toMatchObject({ accountNumber: synced.accountNumber, lastName: 'Changed', syncStatus: 'Completed' });

    // The restored customer takes new edits at the next counter, and they reach HQ.
    await app.services.customers.edit('FABRIKAM', customer.customerId, { firstName: 'Again' });
    await runs(app, 1);
    expect(await app.services.hq.getCustomer(customer.customerId)).toMatchObject({ firstName: 'Again', lastName: 'Changed', appliedCounter: 3 });
    expect(await app.services.customers.get('FABRIKAM', customer.customerId)).toMatchObject({ firstName: 'Again', syncStatus: 'Completed' });
  } finally {
    app.services.dispose();
  }
});

test('a lost channel customer whose sign-up HQ rejects is recorded Failed, visibly, instead of erring on every run', async () => {
  const app = await createTestApp(emulators, { Sync__maxAttempts: '1' }, { reconcileGraceMs: 0 });
  try {
    const { customer } = await app.services.customers.signUp('FABRIKAM', signUpBody('rejected', { firstName: 'x'.repeat(60), lastName: 'y'.repeat(60) }));
    await loseChannelCustomer(app, customer.customerId);

    const [first, second] = await runs(app, 2);
    expect(first).toMatchObject({ uploaded: 1, completed: 0, failed: 1 });
    expect(second).toMatchObject({ completed: 0, failed: 0 });
    const [row] = await app.services.staging.outstandingForCustomer(customer.customerId);
    expect(row).toMatchObject({ status: 'Failed', attempts: 1 });
    expect(row.lastError).toMatch(/HQ rejected the customer/);
    expect(await app.services.hq.getCustomer(customer.customerId)).toBeUndefined();
  } finally {
    app.services.dispose();
  }
});
