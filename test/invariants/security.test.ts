/**
 * Who may call what: the compiled app served by the local host with function keys enforced, as the
 * Functions host enforces them in Azure, and called over HTTP. Every HTTP trigger needs a function
 * or admin key: without one, or with a wrong one, every route answers 401; the right key gets
 * through. Anonymous would let anyone on the internet create customers or start sync runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MemoryHistoryStore, startLocalHost, type LocalHost } from '@async-customer/local-host';
import { apiFetch } from '../support/openapi-conformance';

const APP_ROOT = path.join(__dirname, '../..');
const KEYS = { master: 'test-master-key', host: { default: 'test-function-key' } };
const RANK: Record<string, number> = { anonymous: 0, function: 1, admin: 2 };
let host: LocalHost;

beforeAll(async () => {
  const sample = JSON.parse(readFileSync(path.join(APP_ROOT, 'local.settings.sample.json'), 'utf8')).Values as Record<string, string>;
  // A yearly schedule: no sync run starts during the test (nothing here touches storage).
  Object.assign(process.env, sample, { Sync__schedule: '0 0 0 1 1 *' });
  host = await startLocalHost({ appRoot: APP_ROOT, port: 0, historyStore: new MemoryHistoryStore(), log: () => {}, keys: KEYS });
});
afterAll(async () => {
  await host?.stop();
});

/** The HTTP triggers as the host indexed them (the host's default auth level is `function`). */
function httpTriggers() {
  return host.functions
    .filter((f) => f.triggerType === 'httpTrigger')
    .map((f) => ({ name: f.name, route: f.route ?? '', methods: f.methods ?? ['GET'], authLevel: f.authLevel ?? 'function' }));
}

/** A concrete URL for a route template: every parameter gets a value. */
function urlFor(route: string, query = ''): string {
  return `${host.url}/api/${route.replace(/\{[^}]+\}/g, 'x')}${query}`;
}

test('every HTTP trigger needs a function or admin key; ops routes no weaker than the storefront', () => {
  const http = httpTriggers();
  // The storefront's four routes and the ops routes at least: registration really happened.
  expect(http.length).toBeGreaterThanOrEqual(6);
  expect(http.map((h) => h.route)).toEqual(expect.arrayContaining(['channels/{channelId}/customers', 'ops/sync/run']));
  for (const trigger of http) expect({ ...trigger, ok: ['function', 'admin'].includes(trigger.authLevel) }).toMatchObject({ ok: true });
  const storefront = Math.min(...http.filter((h) => h.route.startsWith('channels/')).map((h) => RANK[h.authLevel]));
  for (const ops of http.filter((h) => h.route.startsWith('ops'))) expect({ ...ops, rank: RANK[ops.authLevel] >= storefront }).toMatchObject({ rank: true });
});

test('every HTTP route answers 401 without a key or with a wrong one', async () => {
  const attempts: { how: string; query: string; headers: Record<string, string> }[] = [
    { how: 'no key', query: '', headers: {} },
    { how: 'wrong code=', query: '?code=wrong', headers: {} },
    { how: 'wrong x-functions-key', query: '', headers: { 'x-functions-key': 'wrong' } },
  ];
  let checked = 0;
  for (const trigger of httpTriggers()) {
    for (const method of trigger.methods) {
      for (const { how, query, headers } of attempts) {
        const hasBody = !['GET', 'HEAD', 'DELETE'].includes(method);
        const response = await apiFetch(urlFor(trigger.route, query), {
          method,
          headers: { ...headers, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
          body: hasBody ? '{}' : undefined,
        });
        await response.arrayBuffer();
        expect({ name: trigger.name, method, how, status: response.status }).toEqual({ name: trigger.name, method, how, status: 401 });
        checked++;
      }
    }
  }
  expect(checked).toBeGreaterThanOrEqual(6 * attempts.length);
  // The durable management API of the host is not open either.
  expect((await apiFetch(`${host.url}/runtime/webhooks/durabletask/instances`)).status).toBe(401);
});

test('the right key gets through: a function key in the header or as code=, or the master key', async () => {
  const page = await apiFetch(`${host.url}/api/ops`, { headers: { 'x-functions-key': KEYS.host.default } });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Customer synchronization status');
  const config = await apiFetch(urlFor('ops/config', `?code=${KEYS.host.default}`));
  expect(config.status).toBe(200);
  await config.arrayBuffer();
  const withMaster = await apiFetch(urlFor('ops/config', `?code=${KEYS.master}`));
  expect(withMaster.status).toBe(200);
  await withMaster.arrayBuffer();
});
