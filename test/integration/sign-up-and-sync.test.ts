import { createTestApp, runSync, signUpBody, useEmulators } from '../support/environment';

const emulators = useEmulators();

describe('sign-up and sync against Azurite and the Cosmos server', () => {
  test('50 async sign-ups on FABRIKAM become 50 HQ customers with distinct account numbers', async () => {
    const { services } = await createTestApp(emulators);
    const accepted = await Promise.all(Array.from({ length: 50 }, async (_, i) => (await services.customers.signUp('FABRIKAM', signUpBody(i))).customer));
    for (const customer of accepted) {
      expect(customer).toMatchObject({ accountNumber: null, mode: 'async', syncStatus: 'Pending' });
      expect(customer.custAccountAsync).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(await services.hq.getCustomer(accepted[0].customerId)).toBeUndefined();

    const run = await runSync(services);
    expect(run).toMatchObject({ uploaded: 50, completed: 50, failed: 0 });

    const accounts = new Set<string>();
    for (const customer of accepted) {
      const hq = await services.hq.getCustomer(customer.customerId);
      expect(hq).toMatchObject({ custAccountAsync: customer.custAccountAsync, firstName: customer.firstName });
      expect(hq!.accountNumber).toMatch(/^C\d{9}$/);
      accounts.add(hq!.accountNumber);
      const view = await services.customers.get('FABRIKAM', customer.customerId);
      expect(view).toMatchObject({ accountNumber: hq!.accountNumber, syncStatus: 'Completed' });
      expect(view.syncedAt).not.toBeNull();
    }
    expect(accounts.size).toBe(50);
    // The account number finds the customer too.
    const byAccount = await services.customers.get('FABRIKAM', [...accounts][0]);
    expect(byAccount.accountNumber).toBe([...accounts][0]);

    // A second run has nothing left to do and changes nothing.
    expect(await runSync(services)).toMatchObject({ uploaded: 0, completed: 0 });
  });

  test('a real-time sign-up on CONTOSO is in HQ at once; the same identity again returns it', async () => {
    const { services } = await createTestApp(emulators);
    const body = signUpBody('rt');
    const first = await services.customers.signUp('CONTOSO', body);
    expect(first.outcome).toBe('created');
    expect(first.customer).toMatchObject({ mode: 'realtime', syncStatus: 'Completed', custAccountAsync: null });
    expect(first.customer.accountNumber).toMatch(/^C\d{9}$/);
    const hq = await services.hq.getCustomer(first.customer.customerId);
    expect(hq?.accountNumber).toBe(first.customer.accountNumber);

    const again = await services.customers.signUp('CONTOSO', body);
    expect(again.outcome).toBe('existing');
    expect(again.customer.accountNumber).toBe(first.customer.accountNumber);
  });

  test('the same identity on FABRIKAM twice is one customer and one HQ record', async () => {
    const { services } = await createTestApp(emulators);
    const body = signUpBody('dup');
    const [a, b] = await Promise.all([services.customers.signUp('FABRIKAM', body), services.customers.signUp('FABRIKAM', body)]);
    expect(new Set([a.outcome, b.outcome])).toEqual(new Set(['accepted', 'existing']));
    expect(a.customer.customerId).toBe(b.customer.customerId);
    expect(a.customer.custAccountAsync).toBe(b.customer.custAccountAsync);
    const run = await runSync(services);
    expect(run.completed).toBe(1);
  });

  test('while HQ is servicing, CONTOSO answers unavailable and writes nothing; FABRIKAM still accepts', async () => {
    const { services } = await createTestApp(emulators, { Hq__servicing: 'true' });
    const body = signUpBody('svc');
    await expect(services.customers.signUp('CONTOSO', body)).rejects.toMatchObject({ code: 'HqUnavailable' });
    const { customerIdFor } = await import('../../shared/core/domain/identity');
    const id = customerIdFor('CONTOSO', body.externalIdentity as { provider: string; id: string });
    expect(await services.channel.read(id)).toBeUndefined();
    expect(await services.hq.getCustomer(id)).toBeUndefined();
    expect((await services.queue.approximateDepth()).queued).toBe(0);

    const accepted = await services.customers.signUp('FABRIKAM', signUpBody('svc2'));
    expect(accepted.outcome).toBe('accepted');
  });

  test('a sign-up with addresses, contacts and attributes reaches HQ with all of them, in order', async () => {
    const { services } = await createTestApp(emulators, { Features__EnhancedAsyncCustomerCreation: 'true' });
    const { customer } = await services.customers.signUp(
      'FABRIKAM',
      signUpBody('full', {
        title: 'Dr.',
        addresses: [{ street: '1 Main St', city: 'Redmond', countryRegionId: 'USA', isPrimary: true }],
        contacts: [{ type: 'Phone', value: '+1 425 555 0100', isPrimary: false }],
        affiliations: [{ name: 'Employees' }],
        attributes: [{ name: 'loyalty', value: 'gold' }],
      }),
    );
    expect(customer.operations.map((o) => o.entity)).toEqual(['Customer', 'Address', 'Contact', 'Affiliation', 'Attribute']);
    await runSync(services);
    const hq = await services.hq.getCustomer(customer.customerId);
    expect(hq).toMatchObject({
      title: 'Dr.',
      addresses: [expect.objectContaining({ city: 'Redmond' })],
      contacts: [expect.objectContaining({ type: 'Phone' })],
      affiliations: [{ name: 'Employees' }],
      attributes: { loyalty: 'gold' },
      appliedCounter: 5,
    });
    const view = await services.customers.get('FABRIKAM', customer.customerId);
    expect(view.operations.every((o) => o.status === 'Completed')).toBe(true);
  });
});
