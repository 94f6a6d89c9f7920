/**
 * Function keys, enforced only when the host is given them (off by default, as with Core Tools):
 * `function` routes take the function's own key, a host key or the master key; `admin` routes
 * and the host's admin API the master key; the durable management API its system key or the
 * master key; `anonymous` routes none. A missing or wrong key is a 401.
 */
import { MemoryHistoryStore, startLocalHost, type LocalHost } from '../src';
import { FIXTURE_APP, startOrchestration, waitForCompletion } from './helpers';

const KEYS = {
  master: 'master-key',
  host: { default: 'host-key' },
  functions: { customer: { mine: 'customer-key' }, boom: { mine: 'boom-key' } },
};

async function status(url: string, init: RequestInit = {}): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
}

describe('with function keys', () => {
  let host: LocalHost;
  beforeAll(async () => {
    process.env.Fixture__tickSchedule = '0 0 0 1 1 *';
    host = await startLocalHost({ appRoot: FIXTURE_APP, port: 0, historyStore: new MemoryHistoryStore(), log: () => undefined, keys: KEYS });
  });
  afterAll(async () => {
    await host?.stop();
  });

  test('a function-level route answers 401 without a key or with a wrong one, with no body', async () => {
    const url = `${host.url}/api/channels/A/customers/B`;
    const missing = await fetch(url);
    expect(missing.status).toBe(401);
    expect(await missing.text()).toBe('');
    expect(await status(`${url}?code=wrong`)).toBe(401);
    expect(await status(url, { headers: { 'x-functions-key': 'wrong' } })).toBe(401);
    // Another function's own key opens that function only.
    expect(await status(`${url}?code=boom-key`)).toBe(401);
  });

  test('a function-level route takes its own key, a host key or the master key, in the header or as code=', async () => {
    const url = `${host.url}/api/channels/A/customers/B`;
    expect(await status(url, { headers: { 'x-functions-key': 'host-key' } })).toBe(200);
    expect(await status(`${url}?code=host-key`)).toBe(200);
    expect(await status(`${url}?code=customer-key`)).toBe(200);
    expect(await status(`${url}?code=master-key`)).toBe(200);
    // The header wins over code=.
    expect(await status(`${url}?code=host-key`, { headers: { 'x-functions-key': 'wrong' } })).toBe(401);
  });

  test('an admin-level route and the admin API take the master key only', async () => {
    expect(await status(`${host.url}/api/admin-only`)).toBe(401);
    expect(await status(`${host.url}/api/admin-only?code=host-key`)).toBe(401);
    expect(await status(`${host.url}/api/admin-only?code=master-key`)).toBe(200);
    expect(await status(`${host.url}/admin/functions?code=host-key`)).toBe(401);
    expect(await status(`${host.url}/admin/functions`, { headers: { 'x-functions-key': 'master-key' } })).toBe(200);
  });

  test('anonymous routes stay open, and an unknown route is still a 404', async () => {
    expect(await status(`${host.url}/api/hello/Ada`)).toBe(200);
    expect(await status(`${host.url}/api/nowhere`)).toBe(404);
  });

  test("the durable management API takes the extension's system key, which the client's URLs carry", async () => {
    const started = await startOrchestration(host.url, 'fanOut', 4);
    expect(started.status).toBe(202);
    const statusUrl = new URL(started.body.statusQueryGetUri);
    const code = statusUrl.searchParams.get('code');
    expect(code).toBeTruthy();
    expect(code).not.toBe('master-key');
    expect(await waitForCompletion(statusUrl.href)).toMatchObject({ runtimeStatus: 'Completed', output: 12 });
    statusUrl.searchParams.delete('code');
    expect(await status(statusUrl.href)).toBe(401);
    expect(await status(`${statusUrl.href}&code=host-key`)).toBe(401);
    expect(await status(`${statusUrl.href}&code=master-key`)).toBe(200);
  });
});

describe('without function keys (the default)', () => {
  test('every auth level is open', async () => {
    process.env.Fixture__tickSchedule = '0 0 0 1 1 *';
    const host = await startLocalHost({ appRoot: FIXTURE_APP, port: 0, historyStore: new MemoryHistoryStore(), log: () => undefined });
    try {
      expect(await status(`${host.url}/api/channels/A/customers/B`)).toBe(200);
      expect(await status(`${host.url}/api/admin-only`)).toBe(200);
      expect(await status(`${host.url}/admin/functions`)).toBe(200);
    } finally {
      await host.stop();
    }
  });

  test('an empty master key is refused at start-up', async () => {
    await expect(
      startLocalHost({ appRoot: FIXTURE_APP, port: 0, historyStore: new MemoryHistoryStore(), log: () => undefined, keys: { master: '' } }),
    ).rejects.toThrow(/master/);
  });
});
