import { runSync, signUpBody } from '../support/environment';
import { createMemoryApp } from '../support/memory-app';

describe('the app on the memory adapters', () => {
  test('an async sign-up on FABRIKAM gets its account number from one sync pass', async () => {
    const { services, ports } = createMemoryApp();
    const { customer } = await services.customers.signUp('FABRIKAM', signUpBody(1));
    expect(customer).toMatchObject({ accountNumber: null, mode: 'async', syncStatus: 'Pending' });
    expect(await ports.queue.approximateDepth()).toEqual({ queued: 1, poisoned: 0 });

    expect(await runSync(services)).toMatchObject({ uploaded: 1, completed: 1, failed: 0 });

    const view = await services.customers.get('FABRIKAM', customer.customerId);
    expect(view.accountNumber).toMatch(/^C\d{9}$/);
    expect(view.syncStatus).toBe('Completed');
    expect((await services.hq.getCustomer(customer.customerId))?.accountNumber).toBe(view.accountNumber);
    expect(await ports.queue.approximateDepth()).toEqual({ queued: 0, poisoned: 0 });
    expect(await services.runs.recent(1)).toEqual([expect.objectContaining({ status: 'Completed', uploaded: 1, completed: 1 })]);
  });
});
