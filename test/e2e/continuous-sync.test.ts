/**
 * Continuous sync as `npm start` serves it: the compiled app on the local host, the real
 * emulators, HTTP only. Nobody starts a run by hand: the timer (the watchdog) starts the loop and
 * the loop takes every sign-up to HQ in seconds.
 */
import path from 'node:path';
import { LocalHost, nodeProcess, startLocalHost } from '@async-customer/local-host';
import { provisionStorage } from '../../functions/composition-root';
import { readConfig } from '../../shared/core/config/settings';
import { Env, sampleEnv, signUpBody, useEmulators } from '../support/environment';
import { apiFetch } from '../support/openapi-conformance';

const APP_ROOT = path.join(__dirname, '../..');
/** The environment the app reads (under jest the sandbox's process.env is a copy). */
const appEnv = nodeProcess().env;
const emulators = useEmulators();

async function startApp(env: Env): Promise<LocalHost> {
  Object.assign(process.env, env);
  await provisionStorage(readConfig(env));
  return startLocalHost({ appRoot: APP_ROOT, port: 0, log: () => {}, quietOrchestrators: true });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function getJson<T>(host: LocalHost, route: string): Promise<T> {
  return (await (await apiFetch(`${host.url}${route}`)).json()) as T;
}

async function signUp(host: LocalHost, body: unknown): Promise<string> {
  const response = await apiFetch(`${host.url}/api/channels/FABRIKAM/customers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  return response.headers.get('location')!;
}

async function accountNumberOf(host: LocalHost, location: string): Promise<string | undefined> {
  const customer = await getJson<{ accountNumber: string | null; syncStatus: string }>(host, location);
  return customer.accountNumber && customer.syncStatus === 'Completed' ? customer.accountNumber : undefined;
}

interface LoopStatus {
  runtimeStatus: string;
  customStatus: { mode: string; state: string; hqAvailable: boolean; idleDelaySeconds: number } | null;
}

/** The loop's durable status; before the watchdog's first tick there is no instance (404). */
async function loopStatus(host: LocalHost): Promise<LoopStatus> {
  const response = await apiFetch(`${host.url}/runtime/webhooks/durabletask/instances/customerSync`);
  return response.ok ? ((await response.json()) as LoopStatus) : { runtimeStatus: 'None', customStatus: null };
}

describe('continuous mode', () => {
  let host: LocalHost;
  const env = () => sampleEnv(emulators, { Sync__mode: 'continuous', Sync__idleDelaySeconds: '2', Sync__schedule: '*/1 * * * * *' });

  afterEach(async () => {
    await host?.stop();
    delete appEnv.Hq__servicing;
  });

  test('sign-ups reach HQ with no run started by hand, and the loop stays one instance', async () => {
    host = await startApp(env());
    const locations: string[] = [];
    for (let i = 0; i < 20; i++) locations.push(await signUp(host, signUpBody(`continuous-${i}`)));
    const accounts = await waitFor(async () => {
      const all = await Promise.all(locations.map((l) => accountNumberOf(host, l)));
      return all.every(Boolean) ? (all as string[]) : undefined;
    });
    expect(new Set(accounts).size).toBe(20);
    // The watchdog fires every second while the loop runs: it must never start a second one.
    const status = await loopStatus(host);
    expect(['Running', 'ContinuedAsNew', 'Pending']).toContain(status.runtimeStatus);
    const config = await getJson<{ sync: { mode: string; idleDelaySeconds: number } }>(host, '/api/ops/config');
    expect(config.sync).toMatchObject({ mode: 'continuous', idleDelaySeconds: 2 });
  }, 60_000);

  test('an idle loop checks within its idle delay; POST /api/ops/sync/run wakes it (202, not 409)', async () => {
    host = await startApp(env());
    await waitFor(async () => ((await loopStatus(host)).customStatus?.state === 'idle' ? true : undefined));
    const location = await signUp(host, signUpBody('after-idle'));
    const started = Date.now();
    expect(await waitFor(() => accountNumberOf(host, location))).toMatch(/^C\d{9}$/);
    // Sync__idleDelaySeconds (2) plus a pass.
    expect(Date.now() - started).toBeLessThan(2000 + 3000);

    const woken = await apiFetch(`${host.url}/api/ops/sync/run`, { method: 'POST' });
    expect(woken.status).toBe(202);
    expect(await woken.json()).toMatchObject({ instanceId: 'customerSync', mode: 'continuous', started: false });
  }, 60_000);

  test('while HQ is servicing the loop writes nothing to HQ; when it is back the backlog drains', async () => {
    host = await startApp(env());
    await waitFor(async () => ((await loopStatus(host)).customStatus ? true : undefined), 30_000, 'loop status');
    appEnv.Hq__servicing = 'true';
    const locations: string[] = [];
    for (let i = 0; i < 5; i++) locations.push(await signUp(host, signUpBody(`servicing-${i}`)));
    await waitFor(async () => ((await loopStatus(host)).customStatus?.hqAvailable === false ? true : undefined), 30_000, 'HQ unavailable in loop status');
    await new Promise((r) => setTimeout(r, 3000));
    for (const location of locations) expect(await accountNumberOf(host, location)).toBeUndefined();
    const runs = await getJson<{ runs: { error: string | null }[] }>(host, '/api/ops/sync/runs');
    expect(runs.runs.some((r) => r.error?.includes('HQ unavailable'))).toBe(true);

    appEnv.Hq__servicing = 'false';
    const accounts = await waitFor(async () => {
      const all = await Promise.all(locations.map((l) => accountNumberOf(host, l)));
      return all.every(Boolean) ? (all as string[]) : undefined;
    });
    expect(new Set(accounts).size).toBe(5);
  }, 60_000);
});
