/**
 * GET /api/channels/{channelId}/customers?email=|phone=|name=|accountNumber=: through the real
 * handler (real HttpRequest objects, every answer checked against the OpenAPI document by the
 * Storefront harness), on the memory adapters (the contract suite proves the Cosmos adapter finds
 * the same). What a store associate sees: a customer found at once, pending sync or not; formatting
 * and case not mattering; one channel never seeing another's; pages; and every bad query a 400
 * problem that writes nothing and logs none of what was searched for.
 */
import fc from 'fast-check';
import { signUpBody } from '../support/environment';
import { LogCapture, Storefront, syncRun } from '../support/harness';
import { createMemoryApp, MemoryTestApp } from '../support/memory-app';

const RUNS = Number(process.env.FAST_CHECK_RUNS ?? 20) * 10;
const logs = new LogCapture();

function setUp(): { app: MemoryTestApp; http: Storefront } {
  const app = createMemoryApp({}, { log: logs.serviceLog });
  return { app, http: new Storefront(() => app.services, logs) };
}

const ann = (n: number | string, extra: Record<string, unknown> = {}) =>
  signUpBody(n, { firstName: 'Ann', lastName: 'Lee', email: 'Ann.Lee@Example.com', phone: '+15550107788', ...extra });

const ids = (answer: { body: Record<string, unknown> }) => (answer.body.customers as { customerId: string }[]).map((c) => c.customerId);

test('a sign-up is found at once, still pending sync, by each criterion, as GET of the customer shows it', async () => {
  const { http } = setUp();
  const created = (await http.signUp('FABRIKAM', ann(1))).body;
  expect(created).toMatchObject({ syncStatus: 'Pending', accountNumber: null });
  const asGet = (await http.get('FABRIKAM', created.customerId as string)).body;

  for (const query of [
    'email=ann.lee@example.com',
    'email=ANN.LEE%40EXAMPLE.COM',
    `phone=${encodeURIComponent('+1 (555) 010-7788')}`,
    'phone=15550107788',
    'phone=+15550107788', // an unencoded + arrives as a space
    'name=an',
    'name=LE',
    'name=ann%20lee',
    `accountNumber=${String(created.custAccountAsync)}`,
    `accountNumber=${String(created.custAccountAsync).toUpperCase()}`,
    `name=ann&email=ann.lee@example.com&phone=15550107788`,
  ]) {
    const found = await http.search('FABRIKAM', query);
    expect({ query, status: found.status }).toEqual({ query, status: 200 });
    expect({ query, body: found.body }).toEqual({ query, body: { customers: [asGet], continuationToken: null } });
  }
  for (const query of ['email=ann.lee@example.co', 'phone=5550107788', 'name=nn', 'name=lee%20bob', 'accountNumber=C000000001', 'name=ann&phone=1555']) {
    expect({ query, body: (await http.search('FABRIKAM', query)).body }).toEqual({ query, body: { customers: [], continuationToken: null } });
  }
});

test('once synced, the account number finds it (and the async GUID still does); a real-time customer too', async () => {
  const { app, http } = setUp();
  const pending = (await http.signUp('FABRIKAM', ann(2))).body;
  await syncRun(app.services);
  const synced = (await http.get('FABRIKAM', pending.customerId as string)).body;
  expect(synced).toMatchObject({ syncStatus: 'Completed', accountNumber: expect.stringMatching(/^C\d{9}$/) });
  expect((await http.search('FABRIKAM', `accountNumber=${String(synced.accountNumber)}`)).body.customers).toEqual([synced]);
  expect(ids(await http.search('FABRIKAM', `accountNumber=${String(pending.custAccountAsync)}`))).toEqual([pending.customerId]);

  const realtime = (await http.signUp('CONTOSO', ann(3))).body;
  expect(realtime.syncStatus).toBe('Completed');
  expect(ids(await http.search('CONTOSO', `accountNumber=${String(realtime.accountNumber)}`))).toEqual([realtime.customerId]);
});

test("one channel never sees another channel's customers; an unknown channel is 404", async () => {
  const { http } = setUp();
  const fabrikam = (await http.signUp('FABRIKAM', ann(4))).body;
  const contoso = (await http.signUp('CONTOSO', ann(5))).body;
  expect(ids(await http.search('FABRIKAM', 'email=ann.lee@example.com'))).toEqual([fabrikam.customerId]);
  expect(ids(await http.search('CONTOSO', 'email=ann.lee@example.com'))).toEqual([contoso.customerId]);
  expect(ids(await http.search('CONTOSO', `accountNumber=${String(fabrikam.custAccountAsync)}`))).toEqual([]);
  const unknown = await http.search('NOPE', 'email=ann.lee@example.com');
  expect(unknown.status).toBe(404);
  expect(unknown.contentType).toBe('application/problem+json');
});

test('pages are bounded and continue with the token until every match was seen once', async () => {
  const { http } = setUp();
  const created = new Set<string>();
  for (let i = 0; i < 7; i++) created.add((await http.signUp('FABRIKAM', signUpBody(`page-${i}`, { lastName: 'Pageant' }))).body.customerId as string);
  await http.signUp('FABRIKAM', signUpBody('other', { lastName: 'Other' }));

  const seen: string[] = [];
  let token: string | null = null;
  const sizes: number[] = [];
  do {
    const answer: Awaited<ReturnType<Storefront['search']>> = await http.search(
      'FABRIKAM',
      `name=page&pageSize=3${token ? `&continuationToken=${token}` : ''}`,
    );
    expect(answer.status).toBe(200);
    sizes.push(ids(answer).length);
    seen.push(...ids(answer));
    token = answer.body.continuationToken as string | null;
  } while (token);
  expect(sizes).toEqual([3, 3, 1]);
  expect(seen).toHaveLength(7);
  expect(new Set(seen)).toEqual(created);

  // Without pageSize a page holds 20 at most; 7 fit in one.
  expect(ids(await http.search('FABRIKAM', 'name=pageant'))).toHaveLength(7);
});

describe('bad queries', () => {
  const { app, http } = setUp();
  const written = () => ({
    channel: app.ports.channel.container.all().length,
    staging: app.ports.staging.container.all().length,
    hq: app.ports.hqCustomers.container.all().length,
    queued: app.ports.queue.queue.depth,
    poisoned: app.ports.queue.poison.depth,
  });

  test.each([
    ['no criterion', ''],
    ['only paging', 'pageSize=5'],
    ['an unknown parameter', 'email=a@example.com&firstName=Ann'],
    ['a parameter given twice', 'email=a@example.com&email=b@example.com'],
    ['an email that is not one', 'email=ann'],
    ['a phone of letters', 'phone=call-me'],
    ['an empty name', 'name='],
    ['a name of six words', 'name=a%20b%20c%20d%20e%20f'],
    ['a name with a control character', 'name=a%07b'],
    ['an account number with a space', 'accountNumber=C%20001'],
    ['pageSize 0', 'name=a&pageSize=0'],
    ['pageSize 101', 'name=a&pageSize=101'],
    ['pageSize not a number', 'name=a&pageSize=ten'],
    ['a token this API did not hand out', 'name=a&continuationToken=abc'],
    ['a token of the wrong shape', `name=a&continuationToken=${Buffer.from('{"after":"x"}').toString('base64url')}`],
  ])('%s is a 400 problem naming the parameter', async (_what, query) => {
    const before = written();
    const answer = await http.search('FABRIKAM', query);
    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe('application/problem+json');
    expect(answer.body.errors).toEqual(expect.arrayContaining([{ path: expect.stringMatching(/^\//), message: expect.any(String) }]));
    expect(written()).toEqual(before);
  });

  test('fuzzed query strings: every answer is 200 or a 4xx problem, never 5xx; a 4xx writes nothing; nothing searched for is logged', async () => {
    await http.signUp('FABRIKAM', ann('fuzz'));
    const names = fc.constantFrom(
      'email',
      'phone',
      'name',
      'accountNumber',
      'pageSize',
      'continuationToken',
      'code',
      'Email',
      'q',
      '__proto__',
      'constructor',
      '',
    );
    const values = fc.oneof(
      fc.string(),
      fc.constantFrom('', ' ', 'ann.lee@example.com', '+1 (555) 010-7788', 'Ann', '0', '101', '\u0000', '\uD800', '%', 'x'.repeat(600), "' OR 1=1 --"),
    );
    const pairs = fc.array(fc.tuple(names, values), { maxLength: 5 });
    const searched: string[] = [];
    await fc.assert(
      fc.asyncProperty(pairs, async (params) => {
        const query = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.toWellFormed())}`).join('&');
        params.forEach(([, v]) => searched.push(v));
        const before = written();
        const answer = await http.search('FABRIKAM', query);
        expect({ query, ok: answer.status === 200 || (answer.status >= 400 && answer.status < 500) }).toEqual({ query, ok: true });
        if (answer.status !== 200) {
          expect(answer.contentType).toBe('application/problem+json');
          expect(answer.body).toMatchObject({ status: answer.status, title: expect.any(String), detail: expect.any(String) });
        }
        expect(written()).toEqual(before);
      }),
      { numRuns: RUNS },
    );
    expect(logs.leaks(searched.filter((v) => v.length >= 6 && !/^[\sA-Za-z]*$/.test(v)))).toEqual([]);
  });
});
