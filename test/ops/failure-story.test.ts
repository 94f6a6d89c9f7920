/**
 * The support story the page exists for: a sign-up HQ rejects, retried until the attempts are used
 * up, fixed by an operator (Save) and sent on (Synchronize); and poison messages set aside
 * without blocking the queue.
 */
import { QueueClient } from '@azure/storage-queue';
import { getSyncStatusHandler, listSyncStatusHandler, saveSyncStatusHandler, synchronizeOperationHandler } from '../../functions/http/ops-sync-status';
import { createTestApp, runSync, signUpBody, useEmulators } from '../support/environment';
import { call, httpRequest } from './http';

const emulators = useEmulators();

const LONG = 'n'.repeat(60);

test('a sign-up HQ rejects fails after Sync__maxAttempts runs, then Save and Synchronize complete it', async () => {
  const app = await createTestApp(emulators, { Sync__maxAttempts: '3' });
  const services = () => app.services;
  try {
    const { customer } = await app.services.customers.signUp(
      'FABRIKAM',
      signUpBody('story', {
        firstName: `Anne${LONG}`,
        middleName: 'Marie',
        lastName: `Long${LONG}`,
        attributes: [{ name: 'loyalty', value: 'gold' }],
      }),
    );
    const [create, attribute] = customer.operations.map((o) => o.operationId);

    // Each run tries once more, until the attempts are used up; further runs leave it alone.
    for (let run = 1; run <= 4; run++) {
      await runSync(app.services);
      const staged = await app.services.staging.read(customer.customerId, create);
      expect(staged?.doc).toMatchObject({ status: 'Failed', attempts: Math.min(run, 3) });
    }
    expect(await app.services.hq.getCustomer(customer.customerId)).toBeUndefined();

    const failedList = await call(listSyncStatusHandler(services), httpRequest('GET', '/api/ops/customer-sync-status?status=Failed'));
    expect(failedList.body.items).toEqual([
      expect.objectContaining({ operationId: create, status: 'Failed', attempts: 3, waitingForOperator: true, customerAccount: null }),
    ]);
    expect(failedList.body.items[0].lastError).toMatch(/HQ rejected the customer: party name/);
    // The later operation waits behind the failed create.
    const attributeDetail = await call(getSyncStatusHandler(services), httpRequest('GET', '/x', { params: { operationId: attribute } }));
    expect(attributeDetail.body).toMatchObject({ status: 'Uploaded', table: 'RETAILASYNCCUSTOMERATTRIBUTEV2' });
    expect(attributeDetail.body.waitingReason).toMatch(/^waiting (behind failed operation #1|for the customer to be created in HQ)$/);
    expect(attributeDetail.body.change).toMatchObject({ summary: 'Creation of attribute "loyalty"', changes: [{ field: 'loyalty', old: null, new: 'gold' }] });
    expect((await app.services.customers.get('FABRIKAM', customer.customerId)).syncStatus).toBe('Failed');

    // Save: shorter names, middle name removed (merge patch null), with the ETag read.
    const before = await call(getSyncStatusHandler(services), httpRequest('GET', '/x', { params: { operationId: create } }));
    const saved = await call(
      saveSyncStatusHandler(services),
      httpRequest('PATCH', `/api/ops/customer-sync-status/${create}`, {
        params: { operationId: create },
        headers: { 'if-match': before.headers.etag },
        body: { payload: { firstName: 'Anne', lastName: 'Long', middleName: null } },
      }),
    );
    expect(saved.status).toBe(200);
    expect(saved.headers.etag).not.toBe(before.headers.etag);
    expect(saved.body).toMatchObject({ status: 'Failed', attempts: 0, payload: { firstName: 'Anne', lastName: 'Long' } });
    expect(saved.body.payload).not.toHaveProperty('middleName');
    expect(saved.body.editedAt).toEqual(expect.any(String));
    // The channel's copy follows, so a re-queue carries the fix and the storefront shows it.
    const channel = (await app.services.channel.read(customer.customerId))!.doc;
    expect(channel.operations[create].payload).toMatchObject({ firstName: 'Anne', lastName: 'Long' });
    expect(channel).toMatchObject({ firstName: 'Anne', lastName: 'Long' });
    expect(channel).not.toHaveProperty('middleName');

    // The old ETag no longer saves.
    const stale = await call(
      saveSyncStatusHandler(services),
      httpRequest('PATCH', '/x', { params: { operationId: create }, headers: { 'if-match': before.headers.etag }, body: { payload: { firstName: 'Ann' } } }),
    );
    expect(stale.status).toBe(412);

    const synced = await call(
      synchronizeOperationHandler(services, async () => false),
      httpRequest('POST', `/api/ops/customer-sync-status/${create}/synchronize`, { params: { operationId: create } }),
    );
    expect(synced.status).toBe(200);
    expect(synced.body.counts).toMatchObject({ completed: 2, failed: 0 });
    const hq = await app.services.hq.getCustomer(customer.customerId);
    expect(hq).toMatchObject({ firstName: 'Anne', lastName: 'Long', custAccountAsync: customer.custAccountAsync, attributes: { loyalty: 'gold' } });
    expect(hq!.accountNumber).toMatch(/^C\d{9}$/);
    expect(synced.body.operation).toMatchObject({ operationId: create, status: 'Completed', customerAccount: hq!.accountNumber });

    const view = await app.services.customers.get('FABRIKAM', customer.customerId);
    expect(view).toMatchObject({ syncStatus: 'Completed', accountNumber: hq!.accountNumber, firstName: 'Anne' });

    // Completed now: Save is refused.
    const after = await call(getSyncStatusHandler(services), httpRequest('GET', '/x', { params: { operationId: create } }));
    const refused = await call(
      saveSyncStatusHandler(services),
      httpRequest('PATCH', '/x', { params: { operationId: create }, headers: { 'if-match': after.headers.etag }, body: { payload: { firstName: 'Ann' } } }),
    );
    expect(refused.status).toBe(409);
  } finally {
    app.services.dispose();
  }
});

test('poison messages go to the poison queue as Failed rows; the good messages around them complete', async () => {
  const app = await createTestApp(emulators);
  const services = () => app.services;
  try {
    const first = (await app.services.customers.signUp('FABRIKAM', signUpBody('before-poison'))).customer;
    const queue = new QueueClient(app.env.AzureWebJobsStorage, app.config.asyncQueue.name);
    await queue.sendMessage('{ this is not JSON');
    await queue.sendMessage(Buffer.from(JSON.stringify({ operationId: 'nope', entity: 'Customer', operation: 'Create' })).toString('base64'));
    const last = (await app.services.customers.signUp('FABRIKAM', signUpBody('after-poison'))).customer;

    const run = await runSync(app.services);
    expect(run).toMatchObject({ uploaded: 2, completed: 2 });

    const poisonQueue = new QueueClient(app.env.AzureWebJobsStorage, `${app.config.asyncQueue.name}-poison`);
    const { peekedMessageItems } = await poisonQueue.peekMessages({ numberOfMessages: 32 });
    expect(peekedMessageItems.map((m) => m.messageText).sort()).toEqual(
      ['{ this is not JSON', Buffer.from(JSON.stringify({ operationId: 'nope', entity: 'Customer', operation: 'Create' })).toString('base64')].sort(),
    );
    expect(await app.services.queue.approximateDepth()).toEqual({ queued: 0, poisoned: 2 });

    const failed = await call(listSyncStatusHandler(services), httpRequest('GET', '/api/ops/customer-sync-status?status=Failed'));
    expect(failed.body.items).toHaveLength(2);
    for (const row of failed.body.items) {
      expect(row).toMatchObject({ status: 'Failed', poison: true, waitingForOperator: true });
      expect(row.lastError).toMatch(/^poison message set aside to the poison queue: (not JSON|wrong schema)/);
    }
    const poisonId = failed.body.items[0].operationId;
    const detail = await call(getSyncStatusHandler(services), httpRequest('GET', '/x', { params: { operationId: poisonId } }));
    expect(detail.body).toMatchObject({ editable: false, failure: { poison: true, retriesAutomatically: false } });
    const edit = await call(
      saveSyncStatusHandler(services),
      httpRequest('PATCH', '/x', { params: { operationId: poisonId }, headers: { 'if-match': detail.headers.etag }, body: { payload: {} } }),
    );
    expect(edit.status).toBe(409);
    const sync = await call(
      synchronizeOperationHandler(services, async () => false),
      httpRequest('POST', '/x', { params: { operationId: poisonId } }),
    );
    expect(sync.status).toBe(409);

    for (const customer of [first, last]) {
      expect(await app.services.customers.get('FABRIKAM', customer.customerId)).toMatchObject({ syncStatus: 'Completed' });
    }
    const completed = await call(listSyncStatusHandler(services), httpRequest('GET', '/api/ops/customer-sync-status?status=Completed'));
    expect(completed.body.items.map((r: { customerId: string }) => r.customerId).sort()).toEqual([first.customerId, last.customerId].sort());
  } finally {
    app.services.dispose();
  }
});
