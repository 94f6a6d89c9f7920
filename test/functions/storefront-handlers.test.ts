/**
 * The storefront handlers, called with the real HttpRequest and InvocationContext classes of
 * @azure/functions, over services talking to the real emulators.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { addAddressHandler, editCustomerHandler, getCustomerHandler, signUpHandler } from '../../functions/http/storefront';
import type { Services } from '../../functions/composition-root';
import { ALL_FEATURES, createTestApp, runSync, signUpBody, useEmulators } from '../support/environment';
import { documentedHandlerAnswer } from '../support/openapi-conformance';

const emulators = useEmulators();

interface Call {
  method: string;
  path: string;
  params: Record<string, string>;
  body?: string | object;
  headers?: Record<string, string>;
}

function request({ method, path, params, body, headers = {} }: Call): HttpRequest {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new HttpRequest({
    url: `http://localhost:7071${path}`,
    method,
    headers: { ...(text !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    params,
    body: text === undefined ? undefined : { string: text },
  });
}

function api(services: Services) {
  const customers = () => services.customers;
  const context = () => new InvocationContext({ functionName: 'test', invocationId: 'test-invocation', logHandler: () => {} });
  const call = async (handler: ReturnType<typeof signUpHandler>, c: Call) => {
    const sent = request(c);
    const { status, headers, text } = documentedHandlerAnswer(sent, await handler(sent, context()));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read the body freely
    return { status, headers, body: JSON.parse(text) as Record<string, any> };
  };
  return {
    signUp: (channelId: string, body: unknown, headers?: Record<string, string>) =>
      call(signUpHandler(customers), { method: 'POST', path: `/api/channels/${channelId}/customers`, params: { channelId }, body: body as object, headers }),
    get: (channelId: string, customerId: string) =>
      call(getCustomerHandler(customers), { method: 'GET', path: `/api/channels/${channelId}/customers/${customerId}`, params: { channelId, customerId } }),
    edit: (channelId: string, customerId: string, body: unknown, headers?: Record<string, string>) =>
      call(editCustomerHandler(customers), {
        method: 'PATCH',
        path: `/api/channels/${channelId}/customers/${customerId}`,
        params: { channelId, customerId },
        body: body as object,
        headers,
      }),
    addAddress: (channelId: string, customerId: string, body: unknown, headers?: Record<string, string>) =>
      call(addAddressHandler(customers), {
        method: 'POST',
        path: `/api/channels/${channelId}/customers/${customerId}/addresses`,
        params: { channelId, customerId },
        body: body as object,
        headers,
      }),
  };
}

async function nothingQueued(services: Services): Promise<void> {
  expect((await services.queue.approximateDepth()).queued).toBe(0);
}

describe('sign-up', () => {
  test('async mode answers 202 with a GUID account and the customer location; the same identity answers 200', async () => {
    const { services } = await createTestApp(emulators);
    const http = api(services);
    const body = signUpBody(1);
    const first = await http.signUp('FABRIKAM', body);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ accountNumber: null, mode: 'async', syncStatus: 'Pending' });
    expect(first.headers.location).toBe(`/api/channels/FABRIKAM/customers/${first.body.customerId}`);
    const again = await http.signUp('FABRIKAM', body);
    expect(again.status).toBe(200);
    expect(again.body.custAccountAsync).toBe(first.body.custAccountAsync);
    expect((await http.get('FABRIKAM', first.body.customerId)).body).toMatchObject({ syncStatus: 'Pending', firstName: 'First1' });
  });

  test('real-time mode answers 201 with the account number; 503 with Retry-After while HQ is servicing', async () => {
    const up = api((await createTestApp(emulators)).services);
    const created = await up.signUp('CONTOSO', signUpBody(2));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ syncStatus: 'Completed', mode: 'realtime' });
    expect(created.body.accountNumber).toMatch(/^C\d{9}$/);

    const { services } = await createTestApp(emulators, { Hq__servicing: 'true' });
    const down = await api(services).signUp('CONTOSO', signUpBody(3));
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toMatch(/^\d+$/);
    expect(down.headers['content-type']).toBe('application/problem+json');
    await nothingQueued(services);
  });

  test('a store whose profile falls back to async queues the sign-up while HQ is down; it syncs once HQ is back', async () => {
    const { env, services } = await createTestApp(emulators, {
      Hq__servicing: 'true',
      FunctionalityProfiles__REALTIME__fallbackToAsyncWhenHqUnavailable: 'true',
    });
    const response = await api(services).signUp('CONTOSO', signUpBody(4));
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ mode: 'async', accountNumber: null });
    // Sync passes do not write HQ while it is servicing: the operation waits on the queue.
    await runSync(services);
    expect((await api(services).get('CONTOSO', response.body.customerId)).body).toMatchObject({ syncStatus: 'Pending' });
    env.Hq__servicing = 'false';
    await runSync(services);
    expect((await api(services).get('CONTOSO', response.body.customerId)).body).toMatchObject({ syncStatus: 'Completed' });
  });

  test.each([
    ['unknown channel', 'NOPE', signUpBody(5), {}, 404],
    ['missing fields', 'FABRIKAM', { externalIdentity: { provider: 'b2c', id: 'x' } }, {}, 400],
    ['mass assignment', 'FABRIKAM', signUpBody(6, { accountNumber: 'C000000001' }), {}, 400],
    ['bad email', 'FABRIKAM', signUpBody(7, { email: 'not-an-email' }), {}, 400],
    ['malformed JSON', 'FABRIKAM', '{"externalIdentity":', {}, 400],
    ['not JSON media type', 'FABRIKAM', signUpBody(8), { 'content-type': 'text/plain' }, 415],
    ['huge body', 'FABRIKAM', signUpBody(9, { firstName: 'x'.repeat(70_000) }), {}, 413],
    ['organization without a name', 'FABRIKAM', signUpBody(10, { customerType: 'Organization' }), {}, 400],
  ])('%s is refused with a problem response and writes nothing', async (_name, channel, body, headers, status) => {
    const { services } = await createTestApp(emulators);
    const response = await api(services).signUp(channel, body, headers);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
    await nothingQueued(services);
    expect(await services.channel.count()).toBe(0);
  });

  test('validation errors name each offending field', async () => {
    const { services } = await createTestApp(emulators);
    const response = await api(services).signUp('FABRIKAM', signUpBody(11, { email: 'nope', status: 'Completed' }));
    expect(response.body.errors).toEqual(
      expect.arrayContaining([
        { path: '/email', message: expect.stringMatching(/email/) },
        { path: '/status', message: 'is not a known field' },
      ]),
    );
  });

  test('enhanced fields need EnhancedAsyncCustomerCreation in async mode (422 naming it), not in real time', async () => {
    const enhanced = { title: 'Dr.', affiliations: [{ name: 'Staff' }] };
    const off = await createTestApp(emulators);
    const refused = await api(off.services).signUp('FABRIKAM', signUpBody(12, enhanced));
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatch(/EnhancedAsyncCustomerCreation/);
    await nothingQueued(off.services);
    expect((await api(off.services).signUp('CONTOSO', signUpBody(13, enhanced))).status).toBe(201);

    const on = await createTestApp(emulators, { Features__EnhancedAsyncCustomerCreation: 'true' });
    expect((await api(on.services).signUp('FABRIKAM', signUpBody(14, enhanced))).status).toBe(202);
  });
});

describe('edits and addresses', () => {
  test('with AsyncCustomerEditing effective, an edit of a pending customer is queued (202), shown at once, and applied after the create', async () => {
    const { services } = await createTestApp(emulators, ALL_FEATURES);
    const http = api(services);
    const { body: customer } = await http.signUp('FABRIKAM', signUpBody(20));
    const edited = await http.edit('FABRIKAM', customer.customerId, { lastName: 'Changed' });
    expect(edited.status).toBe(202);
    expect(edited.body.lastName).toBe('Changed');
    expect((await http.get('FABRIKAM', customer.customerId)).body.lastName).toBe('Changed');

    await runSync(services);
    const hq = await services.hq.getCustomer(customer.customerId);
    expect(hq).toMatchObject({ lastName: 'Changed', appliedCounter: 2 });
  });

  test('without async editing, a pending customer cannot be edited (409 CustomerPendingSync); a synced one is edited in real time (200)', async () => {
    const { services } = await createTestApp(emulators);
    const http = api(services);
    const { body: customer } = await http.signUp('FABRIKAM', signUpBody(21));
    const pending = await http.edit('FABRIKAM', customer.customerId, { firstName: 'Early' });
    expect(pending.status).toBe(409);
    expect(pending.body.title).toBe('CustomerPendingSync');

    await runSync(services);
    const done = await http.edit('FABRIKAM', customer.customerId, { firstName: 'Later' });
    expect(done.status).toBe(200);
    expect((await services.hq.getCustomer(customer.customerId))?.firstName).toBe('Later');
  });

  test('AsyncCustomerEditing without its prerequisites stays off', async () => {
    const { services, config } = await createTestApp(emulators, { Features__AsyncCustomerEditing: 'true' });
    expect(config.features.get('AsyncCustomerEditing')).toMatchObject({
      enabled: true,
      effective: false,
      missingPrerequisites: ['PerformanceImprovementsForCustomerOrders', 'EnhancedAsyncCustomerCreation', 'AsyncCustomerAddressCreation'],
    });
    const http = api(services);
    const { body: customer } = await http.signUp('FABRIKAM', signUpBody(22));
    expect((await http.edit('FABRIKAM', customer.customerId, { firstName: 'X' })).status).toBe(409);
  });

  test('real-time edits answer 503 while HQ is servicing', async () => {
    const up = await createTestApp(emulators);
    const { body: customer } = await api(up.services).signUp('CONTOSO', signUpBody(23));
    const { services } = await createTestApp(emulators, {
      Hq__servicing: 'true',
      CosmosDb__hqDatabase: up.env.CosmosDb__hqDatabase,
      CosmosDb__channelDatabase: up.env.CosmosDb__channelDatabase,
    });
    const response = await api(services).edit('CONTOSO', customer.customerId, { firstName: 'Down' });
    expect(response.status).toBe(503);
    expect((await services.hq.getCustomer(customer.customerId))?.firstName).toBe('First23');
  });

  test('addresses: async with AsyncCustomerAddressCreation for sync and async customers alike; real time otherwise', async () => {
    const address = { street: '2 Side St', city: 'Oslo', countryRegionId: 'NOR' };
    const on = await createTestApp(emulators, { Features__AsyncCustomerAddressCreation: 'true' });
    const onApi = api(on.services);
    const realtimeCustomer = (await onApi.signUp('CONTOSO', signUpBody(24))).body;
    const queued = await onApi.addAddress('CONTOSO', realtimeCustomer.customerId, address);
    expect(queued.status).toBe(202);
    await runSync(on.services);
    expect((await on.services.hq.getCustomer(realtimeCustomer.customerId))?.addresses).toEqual([expect.objectContaining({ city: 'Oslo' })]);

    const off = await createTestApp(emulators);
    const offApi = api(off.services);
    const customer = (await offApi.signUp('CONTOSO', signUpBody(25))).body;
    const direct = await offApi.addAddress('CONTOSO', customer.customerId, address);
    expect(direct.status).toBe(201);
    expect((await off.services.hq.getCustomer(customer.customerId))?.addresses).toHaveLength(1);
    expect((await offApi.addAddress('CONTOSO', customer.customerId, { ...address, countryRegionId: 'norway' })).status).toBe(400);
  });

  test('an Idempotency-Key makes a retried edit one operation', async () => {
    const { services } = await createTestApp(emulators, ALL_FEATURES);
    const http = api(services);
    const { body: customer } = await http.signUp('FABRIKAM', signUpBody(26));
    const key = { 'idempotency-key': 'edit-once' };
    await http.edit('FABRIKAM', customer.customerId, { firstName: 'Once' }, key);
    const again = await http.edit('FABRIKAM', customer.customerId, { firstName: 'Once' }, key);
    expect(again.status).toBe(202);
    expect(again.body.operations).toHaveLength(2);
    await runSync(services);
    expect(await services.hq.getCustomer(customer.customerId)).toMatchObject({ firstName: 'Once', appliedCounter: 2 });
  });

  test('a create, two updates and an address queued together end with the last values, whatever order the queue delivers them', async () => {
    const { services } = await createTestApp(emulators, ALL_FEATURES);
    const http = api(services);
    const { body: customer } = await http.signUp('FABRIKAM', signUpBody(27));
    await http.edit('FABRIKAM', customer.customerId, { firstName: 'Second' });
    await http.addAddress('FABRIKAM', customer.customerId, { street: '3 Last St', city: 'Rome', countryRegionId: 'ITA' });
    await http.edit('FABRIKAM', customer.customerId, { firstName: 'Fourth', lastName: 'Final' });

    // Re-deliver in reverse order: drain the queue and send the messages back newest first.
    const queue = services.queue as unknown as { queue: import('@azure/storage-queue').QueueClient };
    const received = (await queue.queue.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems;
    expect(received).toHaveLength(4);
    for (const m of received) await queue.queue.deleteMessage(m.messageId, m.popReceipt);
    for (const m of [...received].reverse()) await queue.queue.sendMessage(m.messageText);

    await runSync(services);
    const hq = await services.hq.getCustomer(customer.customerId);
    expect(hq).toMatchObject({ firstName: 'Fourth', lastName: 'Final', appliedCounter: 4 });
    expect(hq?.addresses).toEqual([expect.objectContaining({ city: 'Rome' })]);
    expect((await http.get('FABRIKAM', customer.customerId)).body.syncStatus).toBe('Completed');
  });
});
