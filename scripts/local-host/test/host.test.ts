/**
 * The local host serving the fixture app against real Azurite: registration capture, HTTP
 * routes, a timer, the durable HTTP starter, and resuming an orchestration after a restart.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startLocalHost, TableHistoryStore, type LocalHost } from '../src';
import { startAzuriteTables, type RunningAzurite } from './azurite';
import { FIXTURE_APP, startOrchestration, waitFor, waitForCompletion } from './helpers';

describe('local host against Azurite', () => {
  let azurite: RunningAzurite;
  let host: LocalHost;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'local-host-test-'));

  const start = () =>
    startLocalHost({
      appRoot: FIXTURE_APP,
      port: 0,
      storageConnectionString: azurite.storageConnectionString,
      log: () => undefined,
    });

  beforeAll(async () => {
    azurite = await startAzuriteTables();
    process.env.Fixture__tickSchedule = '*/1 * * * * *';
    host = await start();
  }, 180_000);
  afterAll(async () => {
    await host?.stop();
    await azurite?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('captures registrations as the host would index them', () => {
    const byName = new Map(host.functions.map((f) => [f.name, f]));
    expect(byName.get('customer')).toMatchObject({
      triggerType: 'httpTrigger',
      route: 'channels/{channelId}/customers/{customerId}',
      methods: ['GET', 'PUT'],
      authLevel: 'function',
    });
    expect(byName.get('hello')).toMatchObject({ authLevel: 'anonymous', methods: ['GET'] });
    expect(byName.get('tick')).toMatchObject({ triggerType: 'timerTrigger', schedule: '%Fixture__tickSchedule%' });
    expect(byName.get('fanOut')?.triggerType).toBe('orchestrationTrigger');
    expect(byName.get('double')?.triggerType).toBe('activityTrigger');
    expect(byName.get('startOrchestration')?.inputTypes).toEqual(['durableClient']);
    expect(byName.get('startOrchestration')?.outputTypes).toEqual(['http']);
  });

  test('HTTP route with parameters, query, headers, JSON body, cookies', async () => {
    const get = await fetch(`${host.url}/api/channels/FABRIKAM/customers/c%2042?x=1&y=two`, { headers: { 'x-test': 'hi' } });
    expect(get.status).toBe(200);
    expect(get.headers.get('x-reply')).toBe('yes');
    expect(get.headers.get('set-cookie')).toContain('session=abc');
    expect(await get.json()).toEqual({
      params: { channelId: 'FABRIKAM', customerId: 'c 42' },
      query: { x: '1', y: 'two' },
      header: 'hi',
      method: 'GET',
    });
    const put = await fetch(`${host.url}/api/channels/A/customers/B`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada' }),
    });
    expect(put.status).toBe(201);
    expect(((await put.json()) as { body: unknown }).body).toEqual({ name: 'Ada' });
  });

  test('optional parameters, methods, buffers, errors and 404', async () => {
    expect(await (await fetch(`${host.url}/api/hello`)).text()).toBe('Hello, world!');
    expect(await (await fetch(`${host.url}/api/HELLO/Ada`)).text()).toBe('Hello, Ada!');
    expect((await fetch(`${host.url}/api/hello/Ada`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${host.url}/api/nowhere`)).status).toBe(404);
    expect((await fetch(`${host.url}/hello`)).status).toBe(404);
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const echo = await fetch(`${host.url}/api/echo/bytes`, { method: 'POST', body: bytes });
    expect(Buffer.from(await echo.arrayBuffer())).toEqual(bytes);
    expect((await fetch(`${host.url}/api/boom`)).status).toBe(500);
  });

  test('a client calling again keeps its connection (fetch honours the advertised keep-alive)', async () => {
    // Count the TCP connections fetch opens, through a pass-through proxy in front of the host.
    const open: net.Socket[] = [];
    const target = new URL(host.url);
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      open.push(client, upstream);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
      for (let i = 0; i < 20; i++) {
        const response = await fetch(`${base}/api/hello`);
        expect(await response.text()).toBe('Hello, world!');
      }
      // Before: one connection per request. fetch may open a second while it frees the first.
      expect(open.length / 2).toBeLessThanOrEqual(2);
    } finally {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  test('a timer fires on its schedule with the real timer shape', async () => {
    const body = await waitFor(
      async () => {
        const ticks = (await (await fetch(`${host.url}/api/ticks`)).json()) as { ticks: number; lastTimer: Record<string, unknown> };
        return ticks.ticks >= 2 ? ticks : undefined;
      },
      5_000,
      100,
    );
    expect(body.lastTimer).toMatchObject({ isPastDue: false, schedule: { adjustForDST: true } });
    expect(body.lastTimer).toHaveProperty('scheduleStatus');
  });

  test('an HTTP starter uses startNew and createCheckStatusResponse; the status URL reaches Completed', async () => {
    const started = await startOrchestration(host.url, 'fanOut', 10);
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(started.body.statusQueryGetUri);
    expect(started.body.statusQueryGetUri.startsWith(`${host.url}/runtime/webhooks/durabletask/instances/`)).toBe(true);
    const status = await waitForCompletion(started.body.statusQueryGetUri);
    expect(status).toMatchObject({ name: 'fanOut', runtimeStatus: 'Completed', output: 90, input: 10 });
  });

  test('an orchestration stopped mid-run resumes in a new host on the same storage', async () => {
    const gateFile = path.join(tmp, 'gate-open');
    const started = await startOrchestration(host.url, 'gated', gateFile, 'restart-me');
    expect(started.status).toBe(202);
    // Wait until the gate activity is scheduled, i.e. the first episode is persisted.
    await waitFor(async () => {
      const found = await host.durable.getStatus('restart-me');
      return found?.history.some((e) => e.EventType === 4 && e.Name === 'gate') ? true : undefined;
    });
    await host.stop();
    const running = (await new TableHistoryStore(azurite.storageConnectionString, 'FixtureHub').getInstance('restart-me'))!;
    expect(running.runtimeStatus).toBe('Running');

    host = await start();
    writeFileSync(gateFile, 'open');
    const status = await waitForCompletion(started.body.statusQueryGetUri.replace(/^http:\/\/127\.0\.0\.1:\d+/, host.url));
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ before: 10, gate: 'opened' });
    expect(existsSync(gateFile)).toBe(true);
  });
});
