/**
 * Completion webhooks as `npm start` serves them: the compiled app on the local host in a child
 * process, the real emulators, the continuous sync loop and the deliverer's own timer, and a real
 * node:http receiver. Driven over HTTP only:
 *
 * - a receiver answering 500, then 204, gets the same `webhook-id` twice, verified with the
 *   `standardwebhooks` package, and the delivery shows delivered; /api/ops/config and the host's
 *   log never carry the secret;
 * - the host SIGKILLed while the receiver holds the request unanswered: the restarted host sends
 *   it again with the same id;
 * - a receiver that is down does not keep customers from HQ, and /api/ops/metrics shows its
 *   deliveries waiting;
 * - a bad webhook setting stops the host at start-up, naming the setting, not the secret.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { provisionStorage } from '../../functions/composition-root';
import { freePort } from '../../scripts/emulators';
import { readConfig } from '../../shared/core/config/settings';
import { Env, sampleEnv, signUpBody, useEmulators } from '../support/environment';
import { HostChild, killAllHosts, spawnHost, startHost } from '../support/host-child';
import { apiFetch } from '../support/openapi-conformance';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver';

const emulators = useEmulators();
const logDir = mkdtempSync(path.join(os.tmpdir(), 'webhooks-e2e-'));
let passed = 0;
let receiver: WebhookReceiver;
let logs = 0;

beforeEach(async () => {
  receiver = await WebhookReceiver.start();
});
afterEach(async () => {
  await killAllHosts();
  await receiver.close();
});
afterAll(() => {
  if (passed === 4) rmSync(logDir, { recursive: true, force: true });
  else console.log(`webhooks e2e: the hosts' logs are in ${logDir}`);
});

const SYNC = { Sync__mode: 'continuous', Sync__idleDelaySeconds: '2', Sync__schedule: '*/5 * * * * *' };

async function appEnv(url: string, secret: string, extra: Env = {}): Promise<Env> {
  const env = sampleEnv(emulators, { ...SYNC, Channels__FABRIKAM__webhookUrl: url, Channels__FABRIKAM__webhookSecret: secret, ...extra });
  await provisionStorage(readConfig(env));
  return env;
}

const logFile = (label: string) => path.join(logDir, `${++logs}-${label}.log`);

async function signUp(host: HostChild, n: string): Promise<{ customerId: string; custAccountAsync: string; location: string }> {
  const response = await apiFetch(`${host.url}/api/channels/FABRIKAM/customers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(signUpBody(n)),
  });
  expect(response.status).toBe(202);
  const body = (await response.json()) as { customerId: string; custAccountAsync: string };
  return { ...body, location: response.headers.get('location')! };
}

async function getJson<T>(host: HostChild, route: string): Promise<{ text: string; body: T }> {
  const text = await (await apiFetch(`${host.url}${route}`)).text();
  return { text, body: JSON.parse(text) as T };
}

/** Polls until `probe` answers something (the test's timeout bounds it). */
async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface Metrics {
  counts: Record<string, number>;
  webhooks: {
    pending: number;
    retrying: number;
    failed: number;
    deliveredLastHour: number;
    channels: { channelId: string; pending: number; oldestPending: { lastError: string | null } | null }[];
  };
}

const accountNumber = (host: HostChild, location: string) =>
  eventually(async () => (await getJson<{ accountNumber: string | null }>(host, location)).body.accountNumber ?? undefined);

test('a receiver answering 500, then 204, gets the same webhook-id twice, signed; delivered once; the secret is in no log and no answer', async () => {
  const secret = newWebhookSecret();
  receiver.answer(500, 204);
  const host = await startHost(await appEnv(receiver.url, secret), await freePort(), logFile('retry'));
  const customer = await signUp(host, 'e2e-retry');
  const account = await accountNumber(host, customer.location);

  const [first, second] = await receiver.waitFor(2);
  expect(second.id).toBe(first.id);
  const event = WebhookReceiver.verify(secret, second);
  expect(event).toEqual({
    type: 'customer.synced',
    timestamp: expect.any(String),
    data: { channelId: 'FABRIKAM', customerId: customer.customerId, custAccountAsync: customer.custAccountAsync, accountNumber: account },
  });
  expect(() => WebhookReceiver.verify(newWebhookSecret(), second)).toThrow();
  // The retry came after the backoff, not in the same round.
  expect(Number(second.headers['webhook-timestamp'])).toBeGreaterThanOrEqual(Number(first.headers['webhook-timestamp']) + 10);

  const metrics = await eventually(async () => {
    const { body } = await getJson<Metrics>(host, '/api/ops/metrics');
    return body.webhooks.deliveredLastHour === 1 ? body : undefined;
  });
  expect(metrics.webhooks).toMatchObject({ pending: 0, retrying: 0, failed: 0, deliveredLastHour: 1 });
  expect(receiver.received).toHaveLength(2);

  const config = await getJson<{ channels: { id: string; webhook: unknown }[] }>(host, '/api/ops/config');
  expect(config.body.channels.find((c) => c.id === 'FABRIKAM')?.webhook).toEqual({ url: receiver.url, secretConfigured: true });
  const key = secret.slice('whsec_'.length);
  expect(config.text).not.toContain(key);
  await host.kill();
  expect(host.log()).toContain('webhooks:');
  expect(host.log()).not.toContain(key);
  passed++;
}, 120_000);

test('the host killed before the receiver answered: the restarted host delivers it again with the same webhook-id', async () => {
  const secret = newWebhookSecret();
  receiver.answer('hold');
  const env = await appEnv(receiver.url, secret);
  const port = await freePort();
  let host = await startHost(env, port, logFile('held'));
  await signUp(host, 'e2e-killed');
  const [held] = await receiver.waitFor(1);
  await host.kill();
  expect(receiver.received).toHaveLength(1);

  host = await startHost(env, port, logFile('restarted'));
  const [, again] = await receiver.waitFor(2);
  expect(again.id).toBe(held.id);
  expect(WebhookReceiver.verify(secret, again).type).toBe('customer.synced');
  await eventually(async () => ((await getJson<Metrics>(host, '/api/ops/metrics')).body.webhooks.deliveredLastHour === 1 ? true : undefined));
  expect(receiver.received).toHaveLength(2);
  passed++;
}, 150_000);

test('a receiver that is down does not keep customers from HQ; /api/ops/metrics shows its deliveries waiting', async () => {
  const secret = newWebhookSecret();
  await receiver.close();
  const host = await startHost(await appEnv(receiver.url, secret), await freePort(), logFile('down'));
  const customers = [];
  for (let i = 0; i < 10; i++) customers.push(await signUp(host, `e2e-down-${i}`));
  const accounts = await Promise.all(customers.map((c) => accountNumber(host, c.location)));
  expect(new Set(accounts).size).toBe(10);

  // Until the oldest event has been tried once: events of one batch are written concurrently, so
  // a round can try a younger one (the only one due yet) while the oldest is still being written.
  const metrics = await eventually(async () => {
    const { body } = await getJson<Metrics>(host, '/api/ops/metrics');
    return body.webhooks.pending === 10 && body.webhooks.channels[0]?.oldestPending?.lastError ? body : undefined;
  });
  expect(metrics.counts).toMatchObject({ Completed: 10, Failed: 0, Pending: 0, Uploaded: 0 });
  expect(metrics.webhooks).toMatchObject({ pending: 10, failed: 0, deliveredLastHour: 0 });
  expect(metrics.webhooks.retrying).toBeGreaterThan(0);
  expect(metrics.webhooks.channels).toEqual([expect.objectContaining({ channelId: 'FABRIKAM', pending: 10 })]);
  expect(metrics.webhooks.channels[0].oldestPending?.lastError).toBe('connection refused');
  passed++;
}, 120_000);

test('a bad webhook setting stops the host at start-up, naming the setting and not the secret', async () => {
  const secret = newWebhookSecret();
  const env = sampleEnv(emulators, { ...SYNC, Channels__FABRIKAM__webhookUrl: 'http://hooks.example.com/commerce', Channels__FABRIKAM__webhookSecret: secret });
  const host = spawnHost(env, await freePort(), logFile('bad-url'));
  expect(await host.exited).not.toBe(0);
  expect(host.log()).toContain('Channels__FABRIKAM__webhookUrl: must be an https URL');
  expect(host.log()).not.toContain(secret.slice('whsec_'.length));

  const noUrl = spawnHost(sampleEnv(emulators, { ...SYNC, Channels__FABRIKAM__webhookSecret: secret.slice(0, 30) }), await freePort(), logFile('bad-secret'));
  expect(await noUrl.exited).not.toBe(0);
  expect(noUrl.log()).toContain('Channels__FABRIKAM__webhookUrl: missing');
  expect(noUrl.log()).not.toContain(secret.slice('whsec_'.length, 30));
  passed++;
}, 60_000);
