/**
 * After a hard kill Azurite may have lost its last seconds of queue messages (it saves every 5 s)
 * while the Cosmos server lost nothing it acknowledged. `npm start` then stages those operations
 * straight from the channel (scripts/local-data/catch-up.ts) so the next sync run takes them,
 * instead of waiting out reconciliation's 5-minute grace period. Real emulators, in memory.
 */
import { catchUpAfterHardKill } from '../../scripts/local-data/catch-up';
import { createQueueServiceClient } from '../../shared/storage/queue';
import { ALL_FEATURES, createTestApp, runSync, signUpBody, useEmulators } from '../support/environment';

const emulators = useEmulators();

test('operations whose queue messages were lost are staged at start-up and reach HQ in the next run', async () => {
  const app = await createTestApp(emulators, ALL_FEATURES);
  try {
    const signedUp = [];
    for (let i = 0; i < 3; i++) signedUp.push((await app.services.customers.signUp('FABRIKAM', signUpBody(`lost-msg-${i}`))).customer);
    await app.services.customers.edit('FABRIKAM', signedUp[0].customerId, { lastName: 'Edited' });
    // What Azurite's last unsaved seconds held: every message of these four operations.
    await createQueueServiceClient(app.config.asyncQueue.connection).getQueueClient(app.config.asyncQueue.name).clearMessages();

    // Left alone, a run finds nothing: reconciliation waits 5 minutes for messages still in flight.
    expect(await runSync(app.services)).toMatchObject({ uploaded: 0, completed: 0 });

    expect(await catchUpAfterHardKill(app.services, 2)).toEqual({ customers: 3, staged: 4, errors: 0 });
    expect(await runSync(app.services)).toMatchObject({ completed: 4, failed: 0 });
    for (const customer of signedUp) {
      expect(await app.services.customers.get('FABRIKAM', customer.customerId)).toMatchObject({ accountNumber: expect.stringMatching(/^C\d{9}$/), syncStatus: 'Completed' });
    }
    expect(await app.services.hq.getCustomer(signedUp[0].customerId)).toMatchObject({ lastName: 'Edited', appliedCounter: 2 });
    // Nothing left: a second start after another kill stages nothing.
    expect(await catchUpAfterHardKill(app.services, 2)).toEqual({ customers: 0, staged: 0, errors: 0 });
  } finally {
    app.services.dispose();
  }
});

test('messages that did survive are duplicates of what catch-up staged, and change nothing', async () => {
  const app = await createTestApp(emulators);
  try {
    const { customer } = await app.services.customers.signUp('FABRIKAM', signUpBody('kept-msg'));
    expect(await catchUpAfterHardKill(app.services)).toEqual({ customers: 1, staged: 1, errors: 0 });
    const run = await runSync(app.services);
    expect(run).toMatchObject({ uploaded: 0, completed: 1, failed: 0 });
    const hq = await app.services.hq.getCustomer(customer.customerId);
    expect(await app.services.customers.get('FABRIKAM', customer.customerId)).toMatchObject({ accountNumber: hq!.accountNumber, syncStatus: 'Completed' });
    expect(await app.services.queue.approximateDepth()).toEqual({ queued: 0, poisoned: 0 });
  } finally {
    app.services.dispose();
  }
});
