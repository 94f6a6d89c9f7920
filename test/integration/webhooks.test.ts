/**
 * Completion webhooks end to end on the memory adapters, delivered over real HTTP to a node:http
 * receiver on a free port: what the receiver gets (signed, verified with `standardwebhooks`, ids
 * only), retries with the same `webhook-id` until a 2xx, a receiver that stays down (sync goes
 * on, metrics show it), the retry window and 410, `customer.syncFailed` for operations that wait
 * for an operator (HQ rejections out of attempts, poison messages), and a retried sync step
 * recording its event once. Time is a manual clock, so "later" needs no waiting.
 */
import { configHandler, metricsHandler } from '../../functions/http/ops-sync-status';
import { ManualClock } from '../../shared/adapters/memory';
import { WEBHOOK_RETRY, WebhookDelivery } from '../../shared/core/domain/webhook';
import type { DeliveryOptions, WebhookMetrics } from '../../shared/core/use-cases/deliver-webhooks';
import { runSync, signUpBody } from '../support/environment';
import { createMemoryApp, MemoryTestApp } from '../support/memory-app';
import { call, httpRequest, noSyncLoop } from '../ops/http';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver';

const LONG = 'x'.repeat(60);

let receiver: WebhookReceiver;
const secret = newWebhookSecret();

beforeEach(async () => {
  receiver = await WebhookReceiver.start();
});
afterEach(async () => {
  await receiver.close();
});

interface App extends MemoryTestApp {
  clock: ManualClock;
  deliveries(): WebhookDelivery[];
  metrics(): Promise<WebhookMetrics>;
}

/** FABRIKAM (async) posts its webhooks to `url`; the clock starts now (receivers reject stale timestamps). */
function appWithWebhook(url = receiver.url, env: Record<string, string> = {}, delivery: DeliveryOptions = {}): App {
  const clock = new ManualClock(new Date());
  const app = createMemoryApp(
    { Channels__FABRIKAM__webhookUrl: url, Channels__FABRIKAM__webhookSecret: secret, ...env },
    { reconcileGraceMs: 0, webhookDelivery: delivery },
    { clock },
  );
  return {
    ...app,
    clock,
    deliveries: () => app.ports.webhookOutbox.container.where(),
    metrics: () => app.services.webhooks.metrics(),
  };
}

async function signUpAndSync(app: App, n: number | string, extra: Record<string, unknown> = {}) {
  const { customer } = await app.services.customers.signUp('FABRIKAM', signUpBody(n, extra));
  await runSync(app.services);
  return app.services.customers.get('FABRIKAM', customer.customerId);
}

test('customer.synced: the account number reaches the receiver signed; standardwebhooks verifies it, another secret does not', async () => {
  const app = appWithWebhook();
  const { customer } = await app.services.customers.signUp('FABRIKAM', signUpBody('synced', { phone: '+1 425 555 0100' }));
  // A sign-up never touches the outbox (nor the receiver).
  expect(app.deliveries()).toEqual([]);
  await runSync(app.services);
  const view = await app.services.customers.get('FABRIKAM', customer.customerId);
  expect(view.accountNumber).toMatch(/^C\d{9}$/);
  // Recorded by the sync step, not sent by it.
  expect(app.deliveries()).toHaveLength(1);
  expect(receiver.received).toEqual([]);

  expect(await app.services.webhooks.deliverDue()).toEqual({ attempted: 1, delivered: 1, retrying: 0, failed: 0 });
  const [got] = await receiver.waitFor(1);
  const createId = view.operations.find((op) => op.entity === 'Customer' && op.operation === 'Create')!.operationId;
  expect(got.id).toBe(`customer.synced:${createId}`);
  expect(WebhookReceiver.verify(secret, got)).toEqual({
    type: 'customer.synced',
    timestamp: expect.any(String),
    data: { channelId: 'FABRIKAM', customerId: customer.customerId, custAccountAsync: customer.custAccountAsync, accountNumber: view.accountNumber },
  });
  expect(() => WebhookReceiver.verify(newWebhookSecret(), got)).toThrow(/signature/i);
  for (const personal of ['Firstsynced', 'Lastsynced', 'usersynced@example.com', '0100']) expect(got.body.toLowerCase()).not.toContain(personal.toLowerCase());

  // Delivered once: later rounds send nothing.
  app.clock.advance(WEBHOOK_RETRY.maxDelayMs * 2);
  expect(await app.services.webhooks.deliverDue()).toEqual({ attempted: 0, delivered: 0, retrying: 0, failed: 0 });
  expect(receiver.received).toHaveLength(1);
  expect(await app.metrics()).toMatchObject({ pending: 0, failed: 0, deliveredLastHour: 0, channels: [{ channelId: 'FABRIKAM', pending: 0 }] });
});

test('a receiver answering 500, then 200, gets the same webhook-id twice, after the backoff, and the delivery is marked delivered once', async () => {
  const app = appWithWebhook();
  receiver.answer(500, 200);
  await signUpAndSync(app, 'retry');
  expect(await app.services.webhooks.deliverDue()).toMatchObject({ attempted: 1, retrying: 1 });
  expect(await app.metrics()).toMatchObject({
    pending: 1,
    retrying: 1,
    channels: [{ channelId: 'FABRIKAM', retrying: 1, oldestPending: { attempts: 1, lastError: 'HTTP 500' } }],
  });

  // Not before the backoff.
  app.clock.advance(WEBHOOK_RETRY.firstDelayMs - 1000);
  expect(await app.services.webhooks.deliverDue()).toMatchObject({ attempted: 0 });
  app.clock.advance(1000);
  expect(await app.services.webhooks.deliverDue()).toMatchObject({ attempted: 1, delivered: 1 });

  const [first, second] = await receiver.waitFor(2);
  expect(second.id).toBe(first.id);
  expect(second.body).toBe(first.body);
  expect(WebhookReceiver.verify(secret, second).type).toBe('customer.synced');
  expect(app.deliveries()).toEqual([expect.objectContaining({ id: first.id, status: 'Delivered', attempts: 2, lastStatus: 200, lastError: null })]);
  expect(await app.metrics()).toMatchObject({ pending: 0, retrying: 0, failed: 0, deliveredLastHour: 1, oldestPendingAgeSeconds: null });
  app.clock.advance(WEBHOOK_RETRY.maxDelayMs);
  await app.services.webhooks.deliverDue();
  expect(receiver.received).toHaveLength(2);
});

test('a receiver that stays down does not keep customers from HQ; its deliveries wait, one try per round, and show in /api/ops/metrics', async () => {
  await receiver.close();
  const app = appWithWebhook(receiver.url);
  const customers = await Promise.all([1, 2, 3, 4, 5].map((n) => app.services.customers.signUp('FABRIKAM', signUpBody(`down-${n}`))));
  expect(await runSync(app.services)).toMatchObject({ completed: 5, failed: 0 });
  for (const { customer } of customers) expect((await app.services.customers.get('FABRIKAM', customer.customerId)).accountNumber).toMatch(/^C\d{9}$/);

  for (let round = 0; round < 4; round++) {
    // A receiver that is down costs one try per round, whatever the backlog.
    expect(await app.services.webhooks.deliverDue()).toEqual({ attempted: 1, delivered: 0, retrying: 1, failed: 0 });
    app.clock.advance(WEBHOOK_RETRY.maxDelayMs + WEBHOOK_RETRY.timeoutMs);
  }
  // More sign-ups still sync while the receiver is down.
  const late = await signUpAndSync(app, 'down-late');
  expect(late.accountNumber).toMatch(/^C\d{9}$/);

  const answer = await call(
    metricsHandler(() => app.services, noSyncLoop),
    httpRequest('GET', '/api/ops/metrics'),
  );
  expect(answer.status).toBe(200);
  expect(answer.body.webhooks).toMatchObject({
    pending: 6,
    retrying: 4,
    failed: 0,
    deliveredLastHour: 0,
    channels: [{ channelId: 'FABRIKAM', pending: 6, retrying: 4, oldestPending: { lastError: 'connection refused', attempts: expect.any(Number) } }],
  });
  expect(answer.body.webhooks.oldestPendingAgeSeconds).toBeGreaterThan(3 * 3600);
  expect(answer.body.counts).toMatchObject({ Completed: 6, Failed: 0 });
});

test('a backlog larger than a batch goes out in one round, each event once', async () => {
  const app = appWithWebhook(receiver.url, {}, { batchSize: 5 });
  for (let n = 0; n < 23; n++) await app.services.customers.signUp('FABRIKAM', signUpBody(`backlog-${n}`));
  await runSync(app.services);
  expect(app.deliveries()).toHaveLength(23);
  expect(await app.services.webhooks.deliverDue()).toEqual({ attempted: 23, delivered: 23, retrying: 0, failed: 0 });
  expect(new Set(receiver.received.map((r) => r.id)).size).toBe(23);
  expect(receiver.received).toHaveLength(23);
});

test('given up: 410 Gone at once; anything else after three days of tries (not delivered, counted failed)', async () => {
  const app = appWithWebhook();
  receiver.answer(410);
  await signUpAndSync(app, 'gone');
  expect(await app.services.webhooks.deliverDue()).toMatchObject({ attempted: 1, failed: 1 });
  expect(app.deliveries()).toEqual([expect.objectContaining({ status: 'Failed', attempts: 1, lastStatus: 410, lastError: 'HTTP 410: refused, not retried' })]);

  receiver.otherwise(503);
  await signUpAndSync(app, 'unavailable');
  let tries = 0;
  for (let round = 0; round < 200 && (await app.metrics()).pending > 0; round++) {
    tries += (await app.services.webhooks.deliverDue()).attempted;
    app.clock.advance(WEBHOOK_RETRY.maxDelayMs + WEBHOOK_RETRY.timeoutMs);
  }
  expect(await app.metrics()).toMatchObject({ pending: 0, failed: 2 });
  const given = app.deliveries().find((d) => d.lastStatus === 503)!;
  expect(given).toMatchObject({ status: 'Failed', lastError: expect.stringMatching(/^given up after \d+ tries over 3 days: HTTP 503$/) });
  // Backoff from 10 s doubling to an hour: some 70 to 80 tries over the three days, never one per round.
  expect(tries).toBeGreaterThan(60);
  expect(tries).toBeLessThan(90);
  expect(receiver.received.filter((r) => r.id === given.id)).toHaveLength(tries);
});

test('only channels with a webhook record events: CONTOSO and a FABRIKAM without settings record nothing', async () => {
  const plain = createMemoryApp({}, { reconcileGraceMs: 0 });
  await plain.services.customers.signUp('FABRIKAM', signUpBody('plain'));
  await runSync(plain.services);
  expect(plain.ports.webhookOutbox.container.where()).toEqual([]);
  expect(await plain.services.webhooks.metrics()).toEqual({
    pending: 0,
    retrying: 0,
    failed: 0,
    deliveredLastHour: 0,
    oldestPendingAgeSeconds: null,
    channels: [],
  });

  const app = appWithWebhook(receiver.url, { FunctionalityProfiles__REALTIME__fallbackToAsyncWhenHqUnavailable: 'true' });
  await app.services.customers.signUp('CONTOSO', signUpBody('contoso'));
  await runSync(app.services);
  expect(app.deliveries()).toEqual([]);
});

test('customer.syncFailed: an operation out of automatic retries (HQ rejected it Sync__maxAttempts times) is told once per time it waits for an operator', async () => {
  const app = appWithWebhook(receiver.url, { Sync__maxAttempts: '2' });
  const body = signUpBody('rejected', { firstName: `A${LONG}`, lastName: `B${LONG}` });
  const { customer } = await app.services.customers.signUp('FABRIKAM', body);
  await runSync(app.services);
  // One attempt of two: retried automatically, nobody is told yet.
  expect(app.deliveries()).toEqual([]);
  await runSync(app.services);
  expect(app.deliveries()).toHaveLength(1);

  await app.services.webhooks.deliverDue();
  const [got] = await receiver.waitFor(1);
  const event = WebhookReceiver.verify(secret, got);
  const createId = (await app.services.customers.get('FABRIKAM', customer.customerId)).operations[0].operationId;
  expect(got.id).toBe(`customer.syncFailed:${createId}:2`);
  expect(event).toEqual({
    type: 'customer.syncFailed',
    timestamp: expect.any(String),
    data: {
      channelId: 'FABRIKAM',
      operationId: createId,
      customerId: customer.customerId,
      custAccountAsync: customer.custAccountAsync,
      entity: 'Customer',
      operation: 'Create',
      attempts: 2,
      error: expect.stringContaining('HQ rejected the customer: party name is'),
    },
  });
  for (const personal of [body.firstName as string, body.lastName as string, body.email as string]) expect(got.body).not.toContain(personal);

  // More runs change nothing (it waits); the operator's Synchronize fails again: told again, under a new id.
  await runSync(app.services);
  expect(app.deliveries()).toHaveLength(1);
  await app.services.syncStatusCommands.synchronize(createId);
  expect(app.deliveries().map((d) => d.id)).toEqual([`customer.syncFailed:${createId}:2`, `customer.syncFailed:${createId}:3`]);
});

test('customer.syncFailed for a poison message that names a channel with a webhook; ids only', async () => {
  const app = appWithWebhook();
  const customerId = '6f1c8d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f';
  app.ports.queue.queue.send(JSON.stringify({ customerId, channelId: 'FABRIKAM', entity: 'Customer', operation: 'Create', email: 'poison@example.com' }));
  app.ports.queue.queue.send('not json at all');
  await runSync(app.services);
  expect(await app.ports.queue.approximateDepth()).toEqual({ queued: 0, poisoned: 2 });
  expect(app.deliveries()).toHaveLength(1);
  await app.services.webhooks.deliverDue();
  const [got] = await receiver.waitFor(1);
  expect(WebhookReceiver.verify(secret, got)).toMatchObject({
    type: 'customer.syncFailed',
    data: {
      channelId: 'FABRIKAM',
      customerId,
      custAccountAsync: null,
      entity: 'Customer',
      operation: 'Create',
      attempts: 0,
      error: expect.stringContaining('poison'),
    },
  });
  expect(got.body).not.toContain('poison@example.com');
});

test('a sync step retried after its outbox write failed records the event once, and it is delivered once', async () => {
  const app = appWithWebhook();
  const add = app.ports.webhookOutbox.add.bind(app.ports.webhookOutbox);
  let failures = 1;
  app.ports.webhookOutbox.add = async (delivery) => {
    if (failures-- > 0) {
      await add(delivery); // written, but the step hears an error (a lost answer): it is retried
      throw new Error('injected: the answer was lost');
    }
    return add(delivery);
  };
  const view = await signUpAndSync(app, 'lost-answer');
  expect(failures).toBe(-1); // written twice: the step that heard the error, and its retry
  expect(view.accountNumber).toMatch(/^C\d{9}$/);
  expect(view.syncStatus).toBe('Completed');
  expect(app.deliveries()).toHaveLength(1);
  await app.services.webhooks.deliverDue();
  app.clock.advance(WEBHOOK_RETRY.maxDelayMs);
  await app.services.webhooks.deliverDue();
  expect(receiver.received).toHaveLength(1);
});

test('/api/ops/config shows the webhook URL and that a secret is set, never the secret', async () => {
  const app = appWithWebhook();
  const answer = await call(
    configHandler(() => app.services),
    httpRequest('GET', '/api/ops/config'),
  );
  expect(answer.body.channels).toEqual(
    expect.arrayContaining([expect.objectContaining({ id: 'FABRIKAM', webhook: { url: receiver.url, secretConfigured: true } })]),
  );
  expect(answer.text).not.toContain(secret);
  expect(answer.text).not.toContain(secret.slice('whsec_'.length));
});
