/**
 * The app as `npm start` serves it: the compiled app (dist/) loaded by the local host, the real
 * emulators, and nothing but HTTP between the test and the app.
 */
import path from 'node:path';
import { LocalHost, startLocalHost } from '@async-customer/local-host';
import { provisionStorage } from '../../functions/composition-root';
import { readConfig } from '../../shared/core/config/settings';
import { createServices } from '../../functions/composition-root';
import { Env, sampleEnv, signUpBody, useEmulators } from '../support/environment';
import { apiFetch } from '../support/openapi-conformance';

const APP_ROOT = path.join(__dirname, '../..');
const emulators = useEmulators();

async function startApp(env: Env): Promise<LocalHost> {
  Object.assign(process.env, env);
  await provisionStorage(readConfig(env));
  return startLocalHost({ appRoot: APP_ROOT, port: 0, log: () => {}, quietOrchestrators: true });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function signUp(host: LocalHost, channelId: string, body: unknown) {
  const response = await apiFetch(`${host.url}/api/channels/${channelId}/customers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, location: response.headers.get('location'), body: (await response.json()) as Record<string, unknown> };
}

async function accountNumberOf(host: LocalHost, location: string): Promise<string | undefined> {
  const customer = (await (await apiFetch(`${host.url}${location}`)).json()) as { accountNumber: string | null; syncStatus: string };
  return customer.accountNumber && customer.syncStatus === 'Completed' ? customer.accountNumber : undefined;
}

test('a FABRIKAM sign-up gets its account number after a sync run started over HTTP', async () => {
  const host = await startApp(sampleEnv(emulators, { Sync__mode: 'scheduled', Sync__schedule: '0 0 0 1 1 *' }));
  try {
    const created = await signUp(host, 'FABRIKAM', signUpBody('e2e'));
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ accountNumber: null, mode: 'async', syncStatus: 'Pending' });

    const run = await apiFetch(`${host.url}/api/ops/sync/run`, { method: 'POST' });
    expect(run.status).toBe(202);
    const links = (await run.json()) as { statusQueryGetUri: string };
    expect(links.statusQueryGetUri).toContain('customerSync');

    // Customer search finds it while pending, by its email in any case; then by its account number.
    const search = async (query: string) => (await (await apiFetch(`${host.url}/api/channels/FABRIKAM/customers?${query}`)).json()) as { customers: unknown[] };
    expect((await search('email=USERE2E%40example.com')).customers).toEqual([
      expect.objectContaining({ customerId: created.body.customerId, syncStatus: 'Pending' }),
    ]);

    const account = await waitFor(() => accountNumberOf(host, created.location!));
    expect(account).toMatch(/^C\d{9}$/);
    expect((await search(`accountNumber=${account}`)).customers).toEqual([
      expect.objectContaining({ customerId: created.body.customerId, syncStatus: 'Completed' }),
    ]);
    expect((await search(`accountNumber=${account}&name=nobody`)).customers).toEqual([]);

    const page = await apiFetch(`${host.url}/api/ops/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('Customer synchronization status');

    const runs = (await (await apiFetch(`${host.url}/api/ops/sync/runs`)).json()) as { runs: { status: string; completed: number }[] };
    await waitFor(async () => ((await (await apiFetch(`${host.url}/api/ops/sync/runs`)).json()) as typeof runs).runs.find((r) => r.status === 'Completed'));
    expect(runs.runs.length).toBeGreaterThan(0);
  } finally {
    await host.stop();
  }
});

test('the timer starts sync runs on its schedule', async () => {
  const host = await startApp(sampleEnv(emulators, { Sync__mode: 'scheduled', Sync__schedule: '*/2 * * * * *' }));
  try {
    const created = await signUp(host, 'FABRIKAM', signUpBody('timer'));
    expect(created.status).toBe(202);
    expect(await waitFor(() => accountNumberOf(host, created.location!))).toMatch(/^C\d{9}$/);
    const { runs } = (await (await apiFetch(`${host.url}/api/ops/sync/runs`)).json()) as { runs: { trigger: string }[] };
    expect(runs.some((r) => r.trigger === 'timer')).toBe(true);
  } finally {
    await host.stop();
  }
});

test('a run cut off by a host stop resumes when the host starts again, and nothing is duplicated', async () => {
  const env = sampleEnv(emulators, { Sync__mode: 'scheduled', Sync__schedule: '0 0 0 1 1 *', Sync__batchSize: '4', Sync__maxParallelBatches: '2' });
  let host = await startApp(env);
  const locations: string[] = [];
  try {
    for (let i = 0; i < 200; i++) {
      const created = await signUp(host, 'FABRIKAM', signUpBody(`resume-${i}`));
      expect(created.status).toBe(202);
      locations.push(created.location!);
    }
    expect((await apiFetch(`${host.url}/api/ops/sync/run`, { method: 'POST' })).status).toBe(202);
    // Stop once the run is under way but not finished.
    await waitFor(async () => ((await accountNumberOf(host, locations[0])) ? true : undefined));
  } finally {
    await host.stop();
  }
  // The stop really did cut the run short: some customers have their account, not all.
  const counter = createServices(readConfig(env));
  const synced = await counter.channel.count({ synced: true });
  counter.dispose();
  expect(synced).toBeGreaterThan(0);
  expect(synced).toBeLessThan(locations.length);

  host = await startApp(env);
  try {
    const accounts = await waitFor(async () => {
      const all = await Promise.all(locations.map((l) => accountNumberOf(host, l)));
      return all.every(Boolean) ? (all as string[]) : undefined;
    }, 60_000);
    expect(new Set(accounts).size).toBe(locations.length);
    // No timer fires in this test (yearly schedule): the resumed instance finished the work.
    const status = await waitFor(async () => {
      const body = (await (await apiFetch(`${host.url}/runtime/webhooks/durabletask/instances/customerSync`)).json()) as { runtimeStatus: string };
      return body.runtimeStatus === 'Completed' ? body : undefined;
    });
    expect(status.runtimeStatus).toBe('Completed');
  } finally {
    await host.stop();
  }
}, 120_000);
