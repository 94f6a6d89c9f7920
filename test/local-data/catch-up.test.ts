/**
 * After a hard kill Azurite may have lost its last seconds of queue messages (it saves every 5 s)
 * while the Cosmos server lost nothing it acknowledged. `npm start` then queues those operations
 * again straight from the channel (scripts/local-data/catch-up.ts), so the continuous loop's next
 * streaming pass takes them, instead of waiting out reconciliation's 5-minute grace period and the
 * next full pass. Real emulators, in memory.
 */
import { catchUpAfterHardKill, INTERRUPTED_RUN_ERROR, markInterruptedRuns, synchronizeLeftStaged } from '../../scripts/local-data/catch-up';
import { newRun } from '../../shared/core/domain/sync-run';
import { createQueueServiceClient } from '../../shared/adapters/queue/client';
import { ALL_FEATURES, createTestApp, runSync, signUpBody, useEmulators } from '../support/environment';

const emulators = useEmulators();

test('operations whose queue messages were lost are queued again at start-up and reach HQ in the next streaming pass', async () => {
  const app = await createTestApp(emulators, ALL_FEATURES);
  try {
    const signedUp = [];
    for (let i = 0; i < 3; i++) signedUp.push((await app.services.customers.signUp('FABRIKAM', signUpBody(`lost-msg-${i}`))).customer);
    await app.services.customers.edit('FABRIKAM', signedUp[0].customerId, { lastName: 'Edited' });
    // What Azurite's last unsaved seconds held: every message of these four operations.
    await createQueueServiceClient(app.config.asyncQueue.connection).getQueueClient(app.config.asyncQueue.name).clearMessages();

    // Left alone, a full pass finds nothing: reconciliation waits 5 minutes for messages still in flight.
    expect(await runSync(app.services)).toMatchObject({ uploaded: 0, completed: 0 });

    expect(await catchUpAfterHardKill(app.services, 2)).toEqual({ customers: 3, queued: 4, errors: 0 });
    // A streaming pass (no reconciliation, no query for staged work) is enough.
    expect(await runSync(app.services, 'stream')).toMatchObject({ uploaded: 4, completed: 4, failed: 0 });
    for (const customer of signedUp) {
      expect(await app.services.customers.get('FABRIKAM', customer.customerId)).toMatchObject({
        accountNumber: expect.stringMatching(/^C\d{9}$/),
        syncStatus: 'Completed',
      });
    }
    expect(await app.services.hq.getCustomer(signedUp[0].customerId)).toMatchObject({ lastName: 'Edited', appliedCounter: 2 });
    // Nothing left: a second start after another kill queues nothing.
    expect(await catchUpAfterHardKill(app.services, 2)).toEqual({ customers: 0, queued: 0, errors: 0 });
  } finally {
    app.services.dispose();
  }
});

test('a message that did survive and its copy queued by catch-up make one customer, once', async () => {
  const app = await createTestApp(emulators);
  try {
    const { customer } = await app.services.customers.signUp('FABRIKAM', signUpBody('kept-msg'));
    expect(await catchUpAfterHardKill(app.services)).toEqual({ customers: 1, queued: 1, errors: 0 });
    const run = await runSync(app.services, 'stream');
    expect(run).toMatchObject({ uploaded: 1, duplicates: 1, completed: 1, failed: 0 });
    const hq = await app.services.hq.getCustomer(customer.customerId);
    expect(await app.services.customers.get('FABRIKAM', customer.customerId)).toMatchObject({ accountNumber: hq!.accountNumber, syncStatus: 'Completed' });
    expect(await app.services.queue.approximateDepth()).toEqual({ queued: 0, poisoned: 0 });
  } finally {
    app.services.dispose();
  }
});

test('a staged operation whose batch the kill lost (customer in HQ and the channel, row still Uploaded) is finished before serving', async () => {
  const app = await createTestApp(emulators);
  try {
    const { customer } = await app.services.customers.signUp('FABRIKAM', signUpBody('lost-batch'));
    expect(await runSync(app.services, 'stream')).toMatchObject({ completed: 1 });
    const hq = await app.services.hq.getCustomer(customer.customerId);
    const [operationId] = Object.keys((await app.services.channel.read(customer.customerId))!.doc.operations);
    // What the kill left: the staging commit of the batch never happened, and no message is left.
    await app.services.staging.update(
      { id: operationId, customerId: customer.customerId },
      { status: 'Uploaded', onlineOperationCompleted: 0, completedAt: null },
    );
    expect(await runSync(app.services, 'stream')).toMatchObject({ uploaded: 0, completed: 0 });
    expect((await app.services.staging.read(customer.customerId, operationId))?.doc.status).toBe('Uploaded');

    expect(await synchronizeLeftStaged(app.services)).toMatchObject({ trigger: 'npm start', status: 'Completed', completed: 1, failed: 0 });
    expect((await app.services.staging.read(customer.customerId, operationId))?.doc.status).toBe('Completed');
    expect(await app.services.hq.getCustomer(customer.customerId)).toMatchObject({ accountNumber: hq!.accountNumber, appliedCounter: 1 });
  } finally {
    app.services.dispose();
  }
});

test('a run record left saying Running by a kill is marked interrupted; a run that resumes writes its real end over it', async () => {
  const app = await createTestApp(emulators);
  try {
    const { runs } = app.services;
    const lost = newRun('customerSync@2026-12-01T10:00:00.000Z', 'customerSync', 'http', '2026-12-01T10:00:00.000Z');
    const done = { ...newRun('customerSync@2026-12-01T09:00:00.000Z', 'customerSync', 'timer', '2026-12-01T09:00:00.000Z'), status: 'Completed' as const };
    await runs.save(lost);
    await runs.save(done);
    expect(await markInterruptedRuns(runs)).toBe(1);
    const [first, second] = await runs.recent(10);
    expect(first).toMatchObject({ id: lost.id, status: 'Failed', error: INTERRUPTED_RUN_ERROR });
    expect(first.finishedAt).not.toBeNull();
    expect(second).toMatchObject({ id: done.id, status: 'Completed', error: null });
    await runs.save({ ...lost, status: 'Completed', finishedAt: '2026-12-01T10:00:05.000Z' });
    expect((await runs.recent(1))[0]).toMatchObject({ id: lost.id, status: 'Completed', error: null });
    expect(await markInterruptedRuns(runs)).toBe(0);
  } finally {
    app.services.dispose();
  }
});
