/**
 * The operators' API through its handler factories, with real requests and real emulators.
 */
import { opsPageHandler } from '../../functions/http/ops-page';
import {
  configHandler,
  getSyncStatusHandler,
  listSyncStatusHandler,
  metricsHandler,
  saveSyncStatusHandler,
  synchronizeOperationHandler,
} from '../../functions/http/ops-sync-status';
import type { RunningEmulators } from '../../scripts/emulators';
import type { CustomerView } from '../../shared/core/domain/channel-customer';
import type { Services } from '../../functions/composition-root';
import { createTestApp, runSync, signUpBody, TestApp, withEmulators } from '../support/environment';
import { call, httpRequest, noSyncLoop } from './http';

let emulators: RunningEmulators;
let app: TestApp;
let services: () => Services;
let synced: CustomerView;
let failing: CustomerView;
let pending: CustomerView;

const LONG = 'x'.repeat(60);

beforeAll(async () => {
  emulators = await withEmulators();
  app = await createTestApp(emulators, { Sync__maxAttempts: '1', Sync__mode: 'scheduled' });
  services = () => app.services;
  const { customers } = app.services;
  synced = (await customers.signUp('FABRIKAM', signUpBody('synced', { email: 'Synced.Customer@Example.com' }))).customer;
  failing = (
    await customers.signUp(
      'FABRIKAM',
      signUpBody('failing', { firstName: `A${LONG}`, lastName: `B${LONG}`, addresses: [{ street: '1 Main St', city: 'Redmond', countryRegionId: 'USA' }] }),
    )
  ).customer;
  await runSync(app.services);
  // Signed up after the run: still Pending in the channel, not in HQ staging.
  await new Promise((r) => setTimeout(r, 5));
  pending = (await customers.signUp('FABRIKAM', signUpBody('pending'))).customer;
}, 60_000);

afterAll(async () => {
  app?.services.dispose();
  await emulators?.stop();
});

const list = (query = '') => call(listSyncStatusHandler(services), httpRequest('GET', `/api/ops/customer-sync-status${query}`));
const detail = (operationId: string) =>
  call(getSyncStatusHandler(services), httpRequest('GET', `/api/ops/customer-sync-status/${operationId}`, { params: { operationId } }));
const save = (operationId: string, body: unknown, headers: Record<string, string> = {}) =>
  call(saveSyncStatusHandler(services), httpRequest('PATCH', `/api/ops/customer-sync-status/${operationId}`, { params: { operationId }, body, headers }));
const synchronize = (operationId: string, running = false) =>
  call(
    synchronizeOperationHandler(services, async () => running),
    httpRequest('POST', `/api/ops/customer-sync-status/${operationId}/synchronize`, { params: { operationId } }),
  );
const opOf = (customer: CustomerView, entity = 'Customer') => customer.operations.find((o) => o.entity === entity)!.operationId;

describe('GET /api/ops/customer-sync-status', () => {
  test('lists staged and channel-pending operations newest first, with the seed page columns', async () => {
    const answer = await list();
    expect(answer.status).toBe(200);
    const rows = answer.body.items as Record<string, unknown>[];
    const failingOps = [opOf(failing), opOf(failing, 'Address')].sort().reverse(); // same createdAt: by id, descending
    expect(rows.map((r) => r.operationId)).toEqual([opOf(pending), ...failingOps, opOf(synced)]);
    const keys = rows.map((r) => r.sortKey as string);
    expect([...keys].sort().reverse()).toEqual(keys);
    expect(rows).toHaveLength(4);
    expect(answer.body.continuationToken).toBeNull();

    const byId = new Map(rows.map((r) => [r.operationId, r]));
    expect(byId.get(opOf(pending))).toMatchObject({
      status: 'Pending',
      channelId: 'FABRIKAM',
      channelName: 'Fabrikam online store',
      customerAccount: null,
      custAccountAsync: pending.custAccountAsync,
      entity: 'Customer',
      operation: 'Create',
      replicationCounter: 1,
    });
    const hq = await app.services.hq.getCustomer(synced.customerId);
    expect(byId.get(opOf(synced))).toMatchObject({ status: 'Completed', customerAccount: hq!.accountNumber, attempts: 0, lastError: null });
    expect(byId.get(opOf(failing))).toMatchObject({ status: 'Failed', attempts: 1, waitingForOperator: true, customerAccount: null });
    expect(byId.get(opOf(failing))!.lastError).toMatch(/party name is 123 characters/);
    expect(byId.get(opOf(failing, 'Address'))).toMatchObject({ status: 'Uploaded', lastError: 'waiting behind failed operation #1' });
  });

  test('filters by status, channel, entity, accounts, email and since', async () => {
    const ids = async (query: string) => {
      const answer = await list(query);
      expect(answer.status).toBe(200);
      return (answer.body.items as { operationId: string }[]).map((r) => r.operationId);
    };
    expect(await ids('?status=Pending')).toEqual([opOf(pending)]);
    expect(await ids('?status=Failed')).toEqual([opOf(failing)]);
    expect(await ids('?status=Completed')).toEqual([opOf(synced)]);
    expect(await ids('?status=Uploaded')).toEqual([opOf(failing, 'Address')]);
    expect(await ids('?channelId=CONTOSO')).toEqual([]);
    expect((await ids('?channelId=FABRIKAM')).length).toBe(4);
    expect(await ids('?entity=Address')).toEqual([opOf(failing, 'Address')]);
    expect(await ids(`?custAccountAsync=${pending.custAccountAsync}`)).toEqual([opOf(pending)]);
    const account = (await app.services.hq.getCustomer(synced.customerId))!.accountNumber;
    expect(await ids(`?customerAccount=${account}`)).toEqual([opOf(synced)]);
    expect(await ids('?email=synced.customer%40example.com')).toEqual([opOf(synced)]);
    expect(await ids(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
    expect(await ids(`?since=${encodeURIComponent(pending.createdAt)}&entity=Customer`)).toEqual([opOf(pending)]);
  });

  test('pages with a continuation token and a Link to the next page, never repeating a row', async () => {
    const all = (await list()).body.items.map((r: { operationId: string }) => r.operationId);
    const seen: string[] = [];
    let query = '?limit=1&code=secret-key';
    for (let page = 0; page < 10 && query; page++) {
      const answer = await list(query);
      expect(answer.status).toBe(200);
      expect(answer.body.items).toHaveLength(1);
      seen.push(answer.body.items[0].operationId);
      if (answer.body.continuationToken) {
        expect(answer.headers.link).toMatch(/^<\/api\/ops\/customer-sync-status\?limit=1&continuationToken=[A-Za-z0-9_-]+>; rel="next"$/);
        expect(answer.headers.link).not.toContain('secret-key');
        query = answer.body.next.replace('/api/ops/customer-sync-status', '');
      } else {
        query = '';
      }
    }
    expect(seen).toEqual(all);
  });

  test.each([
    ['?status=failed', '/status'],
    ['?entity=Customers', '/entity'],
    ['?colour=red', '/colour'],
    ['?since=yesterday', '/since'],
    ['?limit=0', '/limit'],
    ['?limit=201', '/limit'],
    ['?limit=ten', '/limit'],
    ['?continuationToken=not-a-token', '/continuationToken'],
    [`?continuationToken=${Buffer.from('{"after":"DROP"}').toString('base64url')}`, '/continuationToken'],
    ['?custAccountAsync=123', '/custAccountAsync'],
    ['?status=Failed&status=Pending', '/status'],
  ])('answers 400 with the offending parameter for %s', async (query, path) => {
    const answer = await list(query);
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status: 400, title: 'Invalid request' });
    expect(answer.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  });
});

describe('GET /api/ops/customer-sync-status/{operationId}', () => {
  test('a failed create: header fields, table, change, failure and an ETag', async () => {
    const answer = await detail(opOf(failing));
    expect(answer.status).toBe(200);
    expect(answer.headers.etag).toMatch(/^".+"$/);
    expect(answer.body).toMatchObject({
      operationId: opOf(failing),
      table: 'RETAILASYNCCUSTOMERV2',
      source: 'staging',
      status: 'Failed',
      editable: true,
      etag: answer.headers.etag,
      change: { kind: 'creation', summary: 'Creation of the customer' },
      failure: { attempts: 1, maxAttempts: 1, retriesAutomatically: false, poison: false },
    });
    expect(answer.body.change.changes).toEqual(expect.arrayContaining([{ field: 'firstName', old: null, new: `A${LONG}` }]));
  });

  test('an address waiting behind the failed create says so', async () => {
    const answer = await detail(opOf(failing, 'Address'));
    expect(answer.body).toMatchObject({
      table: 'RETAILASYNCADDRESSV2',
      status: 'Uploaded',
      waitingReason: 'waiting behind failed operation #1',
      failure: null,
    });
    expect(answer.body.change.summary).toBe('Creation of an address');
  });

  test('a channel-only Pending operation is shown without an ETag and is not editable', async () => {
    const answer = await detail(opOf(pending));
    expect(answer.status).toBe(200);
    expect(answer.headers.etag).toBeUndefined();
    expect(answer.body).toMatchObject({ status: 'Pending', source: 'channel', etag: null, editable: false, customerAccount: null });
  });

  test('unknown and malformed ids are 404', async () => {
    for (const id of ['3f1e8a52-0000-4000-8000-000000000000', "x' OR 1=1"]) {
      const answer = await detail(id);
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toBe('application/problem+json');
    }
  });
});

describe('PATCH /api/ops/customer-sync-status/{operationId} (Save)', () => {
  test('refuses without If-Match (428), with a stale one (412), unknown or invalid fields (400)', async () => {
    const id = opOf(failing);
    const { headers } = await detail(id);
    expect((await save(id, { payload: { firstName: 'Ann' } })).status).toBe(428);
    expect((await save(id, { payload: { firstName: 'Ann' } }, { 'if-match': '"stale"' })).status).toBe(412);

    const unknown = await save(id, { payload: { accountNumber: 'C1' } }, { 'if-match': headers.etag });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ path: '/payload/accountNumber', message: 'is not a known field' }]);

    const direct = await save(id, { firstName: 'Ann' }, { 'if-match': headers.etag });
    expect(direct.status).toBe(400);
    expect(direct.body.errors).toEqual(expect.arrayContaining([{ path: '/firstName', message: 'is not a known field' }]));

    const invalid = await save(id, { payload: { email: 'not-an-email', lastName: '' } }, { 'if-match': headers.etag });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/payload/email', '/payload/lastName']);

    const notJson = await save(id, 'firstName=Ann', { 'if-match': headers.etag, 'content-type': 'text/plain' });
    expect(notJson.status).toBe(415);

    // Nothing above changed the operation.
    expect((await detail(id)).headers.etag).toBe(headers.etag);
  });

  test('refuses Completed operations (409) and channel-only Pending ones (409); unknown ids are 404', async () => {
    const completed = await detail(opOf(synced));
    const answer = await save(opOf(synced), { payload: { firstName: 'Z' } }, { 'if-match': completed.headers.etag });
    expect(answer.status).toBe(409);
    expect(answer.body.title).toBe('Operation completed');
    expect((await save(opOf(pending), { payload: { firstName: 'Z' } }, { 'if-match': '*' })).status).toBe(409);
    expect((await save('3f1e8a52-0000-4000-8000-000000000000', { payload: {} }, { 'if-match': '*' })).status).toBe(404);
  });
});

describe('POST /api/ops/customer-sync-status/{operationId}/synchronize', () => {
  test('409 while a sync run is active, 409 for a channel-only Pending operation, 404 unknown', async () => {
    const running = await synchronize(opOf(failing), true);
    expect(running.status).toBe(409);
    expect(running.body.reason).toBe('SyncRunning');
    expect((await synchronize(opOf(pending))).status).toBe(409);
    expect((await synchronize('3f1e8a52-0000-4000-8000-000000000000')).status).toBe(404);
  });

  test('in continuous mode the loop is always running, and Synchronize works beside it', async () => {
    const continuous = await createTestApp(emulators, { Sync__maxAttempts: '1', Sync__mode: 'continuous' });
    try {
      const customer = (await continuous.services.customers.signUp('FABRIKAM', signUpBody('beside-the-loop'))).customer;
      await runSync(continuous.services);
      const answer = await call(
        synchronizeOperationHandler(
          () => continuous.services,
          async () => true,
        ),
        httpRequest('POST', '/x', { params: { operationId: opOf(customer) } }),
      );
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ operation: { status: 'Completed' } });
    } finally {
      continuous.services.dispose();
    }
  });

  test('a Completed operation synchronizes to itself', async () => {
    const answer = await synchronize(opOf(synced));
    expect(answer.status).toBe(200);
    expect(answer.body.operation).toMatchObject({ operationId: opOf(synced), status: 'Completed' });
    expect(answer.body.runId).toMatch(/^manual@\d{4}-/);
  });
});

describe('GET /api/ops/metrics and /api/ops/config, and the page', () => {
  test('metrics: counts by status, oldest pending age, queue depth, last run', async () => {
    await app.services.runs.save({
      ...(await import('../../shared/core/domain/sync-run')).newRun('run-1', 'customerSync', 'http', new Date().toISOString()),
      status: 'Completed',
    });
    const answer = await call(metricsHandler(services, noSyncLoop), httpRequest('GET', '/api/ops/metrics'));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      counts: { Pending: 1, Uploaded: 1, Completed: 1, Failed: 1 },
      failedWaitingForOperator: 1,
      poisonRows: 0,
      queue: { name: app.config.asyncQueue.name, queued: 1, poisoned: 0 },
      lastRun: { id: 'run-1', status: 'Completed' },
    });
    expect(answer.body.oldestPending.createdAt).toBe(failing.createdAt);
    expect(answer.body.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0);
  });

  test('config: channels with profile and mode, features with why not, and no secrets', async () => {
    const answer = await call(configHandler(services), httpRequest('GET', '/api/ops/config'));
    expect(answer.status).toBe(200);
    expect(answer.body.channels).toEqual(
      expect.arrayContaining([
        { id: 'FABRIKAM', name: 'Fabrikam online store', functionalityProfile: 'ASYNC', mode: 'async', fallbackToAsyncWhenHqUnavailable: false, webhook: null },
        {
          id: 'CONTOSO',
          name: 'Contoso online store',
          functionalityProfile: 'REALTIME',
          mode: 'realtime',
          fallbackToAsyncWhenHqUnavailable: false,
          webhook: null,
        },
      ]),
    );
    expect(answer.body.features).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'AsyncCustomerEditing', enabled: false, effective: false, reason: 'Features__AsyncCustomerEditing is not true' }),
      ]),
    );
    expect(answer.body).toMatchObject({ sync: { maxAttempts: 1 }, hq: { servicing: false, accountNumberPrefix: 'C' } });
    expect(answer.text).not.toContain(app.env.CosmosDb__key);
    expect(answer.text).not.toMatch(/AccountKey|connectionString|DefaultEndpointsProtocol/i);
  });

  test('config names the missing prerequisites of an enabled feature', async () => {
    const other = await createTestApp(emulators, { Features__AsyncCustomerEditing: 'true', Features__EnhancedAsyncCustomerCreation: 'true' });
    try {
      const answer = await call(
        configHandler(() => other.services),
        httpRequest('GET', '/api/ops/config'),
      );
      expect(answer.body.features).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            name: 'AsyncCustomerEditing',
            enabled: true,
            effective: false,
            missingPrerequisites: ['PerformanceImprovementsForCustomerOrders', 'AsyncCustomerAddressCreation'],
          }),
        ]),
      );
    } finally {
      other.services.dispose();
    }
  });

  test('the page is one HTML document with its script and style inlined under a nonce', async () => {
    for (const url of ['/api/ops/', '/api/ops']) {
      const answer = await call(opsPageHandler(), httpRequest('GET', url));
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      const nonce = /script-src 'nonce-([^']+)'/.exec(answer.headers['content-security-policy'])![1];
      expect(answer.text).toContain(`<script nonce="${nonce}">`);
      expect(answer.text).not.toContain('{{');
      expect(answer.text).toContain('<th scope="col">Async customer account</th>');
    }
  });
});
