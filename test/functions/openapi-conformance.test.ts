/**
 * The check every test's HTTP helper applies to the answers it receives (support/openapi-conformance.ts)
 * refuses what the document does not describe: without this, a helper that checked nothing would pass.
 */
import { randomUUID } from 'node:crypto';
import { expectDocumented, type ReceivedAnswer } from '../support/openapi-conformance';

const customer = {
  customerId: randomUUID(),
  channelId: 'FABRIKAM',
  accountNumber: null,
  custAccountAsync: randomUUID(),
  mode: 'async',
  syncStatus: 'Pending',
  createdAt: '2026-11-21T10:57:48.112Z',
  uploadedAt: null,
  syncedAt: null,
  operations: [],
  customerType: 'Person',
  firstName: 'Ann',
  lastName: 'Lee',
  email: 'ann@example.com',
  addresses: [],
  contacts: [],
  affiliations: [],
  attributes: {},
  active: true,
};

const signUp = (over: Partial<ReceivedAnswer> = {}, body: object = customer): ReceivedAnswer => ({
  method: 'POST',
  url: 'http://localhost:7071/api/channels/FABRIKAM/customers',
  status: 202,
  headers: { 'content-type': 'application/json', location: `/api/channels/FABRIKAM/customers/${customer.customerId}` },
  text: JSON.stringify(body),
  ...over,
});

const problem = { type: '/problems/not-found', title: 'Not found', status: 404, detail: 'channel NOPE was not found' };

test('an answer as documented passes', () => {
  expect(() => expectDocumented(signUp())).not.toThrow();
  expect(() => expectDocumented(signUp({ status: 404, headers: { 'content-type': 'application/problem+json' }, text: JSON.stringify(problem) }))).not.toThrow();
  expect(() => expectDocumented({ method: 'GET', url: '/api/ops/', status: 401, headers: {}, text: '' })).not.toThrow();
});

test.each<[string, ReceivedAnswer, RegExp]>([
  ['a field the schema does not have', signUp({}, { ...customer, externalIdentity: { provider: 'b2c', id: 'u1' } }), /additional propert/],
  ['a required field missing', signUp({}, { ...customer, syncStatus: undefined }), /syncStatus/],
  ['a value of the wrong type', signUp({}, { ...customer, accountNumber: 42 }), /accountNumber/],
  ['an undocumented status', signUp({ status: 204 }), /status 204 is not documented/],
  ['a documented header missing', signUp({ headers: { 'content-type': 'application/json' } }), /Location is required/],
  [
    'a header not documented for the status',
    signUp({ headers: { 'content-type': 'application/json', location: '/x', etag: '"1"' } }),
    /etag is sent but not documented/,
  ],
  ['a media type not documented', signUp({ headers: { 'content-type': 'text/plain', location: '/x' } }), /content type "text\/plain"/],
  [
    'a problem without its detail',
    signUp({ status: 404, headers: { 'content-type': 'application/problem+json' }, text: JSON.stringify({ ...problem, detail: undefined }) }),
    /detail/,
  ],
  ['a route the document lacks', { method: 'DELETE', url: '/api/ops/config', status: 200, headers: {}, text: '' }, /not in the document/],
  [
    'a malformed Retry-After',
    signUp({ status: 503, headers: { 'content-type': 'application/problem+json', 'retry-after': 'soon' }, text: JSON.stringify({ ...problem, status: 503 }) }),
    /Retry-After/,
  ],
])('%s fails', (_name, answer, message) => {
  expect(() => expectDocumented(answer)).toThrow(message);
});
