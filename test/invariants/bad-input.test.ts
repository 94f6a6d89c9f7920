/**
 * Bad input: every storefront route (customer search included) fuzzed through its real handler
 * with real HttpRequest objects. Always a 4xx problem response, never a 5xx, and nothing written
 * anywhere. Queue messages the app did not write go to the poison queue with a visible Failed row.
 */
import fc from 'fast-check';
import type { RunningEmulators } from '../../scripts/emulators';
import { addressSchema, customerEditSchema, signUpSchema } from '../../shared/core/domain/validation';
import { customerSearchQuery } from '../../shared/core/use-cases/customer-search';
import { parseQuery } from '../../shared/core/use-cases/query-string';
import { createTestApp, signUpBody, TestApp, withEmulators } from '../support/environment';
import { footprint, LogCapture, Storefront } from '../support/harness';

const RUNS = Number(process.env.FAST_CHECK_RUNS ?? 20) * 4;
let emulators: RunningEmulators;
let app: TestApp;
let http: Storefront;
let existing: string;
const logs = new LogCapture();
let cases = 0;

beforeAll(async () => {
  emulators = await withEmulators();
  app = await createTestApp(emulators);
  http = new Storefront(() => app.services, logs);
  existing = (await http.signUp('FABRIKAM', signUpBody('fuzz'))).body.customerId as string;
}, 60_000);
afterAll(async () => {
  console.log(`bad-input cases: ${cases}`);
  await emulators?.stop();
});

/** A generated change may happen to be valid (a random string is a fine first name): not bad input. */
function invalidFor(schema: { safeParse(v: unknown): { success: boolean } }) {
  return (raw: string) => !schema.safeParse(JSON.parse(raw)).success;
}

const odd = fc.constantFrom(
  '\uD800',
  'a\uDC00b',
  'x\u0000y',
  '\u0007',
  '\u202Eevil',
  '👩‍👩‍👧‍👦',
  'é'.normalize('NFD'),
  ' ',
  '',
  '\t\n',
  '../../etc',
  '%2F',
  "' OR 1=1 --",
  '<script>',
  'C000000001',
  'x'.repeat(300),
  '{"$where":1}',
  '\uFEFF',
);
const value = fc.oneof(
  odd,
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
);
const badBody = fc.oneof(
  // Valid shape with one field broken, or an unknown field added (no mass assignment).
  fc
    .record({
      field: fc.constantFrom(
        'externalIdentity',
        'firstName',
        'lastName',
        'email',
        'phone',
        'language',
        'customerType',
        'addresses',
        'accountNumber',
        'status',
        'custAccountAsync',
      ),
      v: value,
    })
    .map(({ field, v }) => JSON.stringify({ ...signUpBody('f'), [field]: v }))
    .filter(invalidFor(signUpSchema)),
  fc.string().filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
  fc.constantFrom('[]', 'null', '1', '"x"', 'true', '{', '{"a":', JSON.stringify({ a: { b: { c: { d: { e: { f: { g: { h: { i: { j: 1 } } } } } } } } } })),
  fc.constant(JSON.stringify({ ...signUpBody('big'), firstName: 'x'.repeat(70 * 1024) })),
  fc.constant('{"firstName":"' + '\\ud800' + '","lastName":"x","email":"a@b.co","externalIdentity":{"provider":"p","id":"i"}}'),
);
const badEdit = fc.oneof(
  fc
    .record({ field: fc.constantFrom('firstName', 'email', 'phone', 'accountNumber', 'replicationCounter', 'externalIdentity'), v: value })
    .map(({ field, v }) => JSON.stringify({ [field]: v }))
    .filter(invalidFor(customerEditSchema)),
  fc.constantFrom('{}', '[]', 'null', '{', JSON.stringify({ firstName: 'x'.repeat(40 * 1024) })),
);
const badAddress = fc.oneof(
  fc
    .record({ field: fc.constantFrom('street', 'city', 'countryRegionId', 'isPrimary', 'addressType', 'addressId'), v: value })
    .map(({ field, v }) => JSON.stringify({ street: '1 Main', city: 'Redmond', countryRegionId: 'USA', [field]: v }))
    .filter(invalidFor(addressSchema)),
  fc.constantFrom('{}', '[]', '{"street":1}'),
);
/** A search query that is not one: no criterion, an unknown or repeated parameter, a bad value, page size or token. */
const notASearch = (query: string) => {
  try {
    parseQuery(customerSearchQuery, new URLSearchParams(query).entries());
    return false;
  } catch {
    return true;
  }
};
const badSearch = fc.oneof(
  fc.constantFrom('name=a&continuationToken=x', `name=a&continuationToken=${Buffer.from('{"after":"../x"}').toString('base64url')}`),
  fc
    .record({ name: fc.constantFrom('email', 'phone', 'name', 'accountNumber', 'pageSize', 'continuationToken', 'q', 'Email'), v: fc.oneof(odd, fc.string()) })
    .map(({ name, v }) => `${encodeURIComponent(name)}=${encodeURIComponent(v.toWellFormed())}`)
    .filter(notASearch),
  fc
    .array(fc.tuple(fc.constantFrom('email', 'name', 'pageSize', 'x'), fc.constantFrom('a@example.com', 'ann', '5', '')), { maxLength: 4 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'))
    .filter(notASearch),
);

const badId = fc.oneof(
  odd,
  fc.string({ maxLength: 50 }),
  fc.constant('x'.repeat(5000)),
  fc.uuid().map((u) => u.toUpperCase() + 'z'),
  // Object.prototype's names, as ids of channels, customers and operations.
  fc.constantFrom('toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'),
);

async function expectRefused(answer: { status: number; body: Record<string, unknown>; contentType?: string }) {
  cases++;
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(answer.contentType).toBe('application/problem+json');
  expect(answer.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status: answer.status, detail: expect.any(String) });
}

test('every storefront route refuses bad input with a 4xx problem and writes nothing', async () => {
  const before = await footprint(app);
  await fc.assert(
    fc.asyncProperty(badBody, badEdit, badAddress, badId, badSearch, async (signUp, edit, address, id, search) => {
      await expectRefused(await http.signUp('FABRIKAM', undefined, signUp));
      await expectRefused(await http.signUp(id, signUpBody('odd-channel')));
      const e = await http.edit('FABRIKAM', existing, undefined, undefined, edit);
      await expectRefused(e);
      await expectRefused(await http.edit('FABRIKAM', id, { firstName: 'Valid' }));
      await expectRefused(await http.addAddress('FABRIKAM', existing, undefined, undefined, address));
      await expectRefused(await http.addAddress('FABRIKAM', id, { street: '1 Main', city: 'Redmond', countryRegionId: 'USA' }));
      const g = await http.get('FABRIKAM', id);
      await expectRefused(g);
      await expectRefused(await http.search('FABRIKAM', search));
      await expectRefused(await http.search(id, 'name=a'));
    }),
    { numRuns: RUNS },
  );
  expect(await footprint(app)).toEqual(before);
}, 300_000);

describe('poison messages', () => {
  test.each([
    ['not JSON', 'this is not json'],
    ['wrong schema', Buffer.from(JSON.stringify({ operationId: 'x', hello: 'world' })).toString('base64')],
    // Plain text (not base64) so it stays under the queue's own 64 KB limit yet over the app's 48 KB.
    ['over the size limit', JSON.stringify({ pad: 'x'.repeat(50 * 1024) })],
  ])('%s: set aside to the poison queue with a visible Failed row, and the queue keeps moving', async (reason, text) => {
    const app = await createTestApp(emulators);
    const queue = app.services.queue as unknown as { queue: { sendMessage(t: string): Promise<unknown> } };
    await queue.queue.sendMessage(text);
    await app.services.customers.signUp('FABRIKAM', signUpBody('behind-poison'));
    const result = await app.services.uploader.upload({ maxMessages: 100 });
    expect(result).toMatchObject({ uploaded: 1, poisoned: 1 });
    expect(await app.services.queue.approximateDepth()).toEqual({ queued: 0, poisoned: 1 });
    const resources = await app.services.ports.syncStatusReadModel.stagedOperations({ status: 'Failed' }, { top: 100 });
    expect(resources).toEqual([
      expect.objectContaining({
        status: 'Failed',
        lastError: expect.stringContaining(reason.split(' ')[0] === 'over' ? 'size limit' : reason === 'not JSON' ? 'not JSON' : 'wrong schema'),
      }),
    ]);
  });
});
