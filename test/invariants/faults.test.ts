/**
 * The fault seam itself, and the fault scenarios found by the properties, kept as plain examples.
 */
import type { RunningEmulators } from '../../scripts/emulators';
import { customerIdFor } from '../../shared/domain/identity';
import { runSync, signUpBody, withEmulators } from '../support/environment';
import { createFaultyApp, LogCapture, quiesce, Storefront } from '../support/harness';
import { InjectedFaultError } from '../support/faults';

let emulators: RunningEmulators;
const logs = new LogCapture();
beforeAll(async () => {
  emulators = await withEmulators();
}, 60_000);
afterAll(async () => {
  await emulators?.stop();
});

const FEATURES_ON = {
  Features__PerformanceImprovementsForCustomerOrders: 'true',
  Features__EnhancedAsyncCustomerCreation: 'true',
  Features__AsyncCustomerAddressCreation: 'true',
  Features__AsyncCustomerEditing: 'true',
};

describe('the fault seam', () => {
  test('a Cosmos fault reaches the adapter as a status-coded error, with its kind and call number', async () => {
    const app = await createFaultyApp(emulators, {}, logs);
    app.plan.failCall('cosmos', 1, 'unavailable');
    const error = await app.services.channel.read('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InjectedFaultError);
    expect(error).toMatchObject({ code: 503, fault: { target: 'cosmos', kind: 'unavailable', call: 1 } });
    expect(app.plan.injected).toHaveLength(1);
    // The next call goes through.
    expect(await app.services.channel.read('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  test('"succeeded but failed" on the queue send: the caller gets a 5xx, the message is there', async () => {
    const app = await createFaultyApp(emulators, {}, logs);
    const http = new Storefront(() => app.services, logs);
    app.plan.failCall('queue', 1, 'succeeded-but-failed');
    const answer = await http.signUp('FABRIKAM', signUpBody('sbf'));
    expect(answer.status).toBe(500);
    expect((await app.services.queue.approximateDepth()).queued).toBe(1);
  });

  test('a crash between two writes: the sign-up document is written, the queue send is not', async () => {
    const app = await createFaultyApp(emulators, {}, logs);
    const http = new Storefront(() => app.services, logs);
    app.plan.crashBetweenWrites();
    const body = signUpBody('crash');
    expect((await http.signUp('FABRIKAM', body)).status).toBe(500);
    const id = customerIdFor('FABRIKAM', body.externalIdentity as { provider: string; id: string });
    expect(await app.services.channel.read(id)).toBeDefined();
    expect((await app.services.queue.approximateDepth()).queued).toBe(0);
    expect(app.plan.injected).toEqual([expect.objectContaining({ target: 'queue', kind: 'unavailable' })]);
  });
});
